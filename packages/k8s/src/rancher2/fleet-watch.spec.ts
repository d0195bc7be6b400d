import assert from 'node:assert/strict';
import type { FakeKubeApi } from '../__fixtures__/fake-kube-api.ts';
import {
  clusterObject,
  downstream,
  rancherConnection,
  type ClusterSpec,
} from '../__fixtures__/fleet-clusters.ts';
import {
  QUICK_BACKOFF,
  settle,
  startSinkWatch,
  type RunningWatch,
} from '../__fixtures__/running-watch.ts';
import type { ClusterConnection } from '../kube-config.ts';
import { createKubernetesSink } from '../kubernetes-sink.ts';
import type { KubernetesSinkOptionsInput } from '../options.ts';
import { CLUSTERS } from './rancher-objects.ts';

describe('k8s/rancher2/fleet-watch: service mode for a Rancher fleet', () => {
  let management: FakeKubeApi;
  let apis: Map<string, FakeKubeApi>;
  let reached: string[];
  let running: RunningWatch | undefined;

  const rancher = (): ClusterConnection => rancherConnection(management, apis, reached);

  function watchFleet(options: KubernetesSinkOptionsInput): RunningWatch {
    const sink = createKubernetesSink(
      { events: false, namespaces: ['*'], ...options },
      { clusters: [rancher()], watchBackoff: QUICK_BACKOFF },
    );
    running = startSinkWatch(sink);
    return running;
  }

  /** A downstream cluster with one namespace, and its Cluster object on the management cluster. */
  function addCluster(spec: ClusterSpec): FakeKubeApi {
    const api = apis.get(spec.id) ?? downstream('default');
    apis.set(spec.id, api);
    management.putCustomObject(CLUSTERS, clusterObject(spec));
    return api;
  }

  /** Waits until every watch of `api` is closed; fails after a second. */
  async function closed(api: FakeKubeApi): Promise<void> {
    const deadline = Date.now() + 1000;
    while (api.openWatches > 0) {
      assert.ok(Date.now() < deadline, `${api.openWatches} watches still open`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  beforeEach(() => {
    management = downstream('default');
    apis = new Map([['local', management]]);
    reached = [];
    management.putCustomObject(CLUSTERS, clusterObject({ id: 'local', ready: 'True' }));
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('watches the clusters served at start without reporting them, and reports a namespace created in one', async () => {
    const prod = addCluster({ id: 'c-m-prod', ready: 'True' });
    addCluster({ id: 'c-m-down', ready: 'False' });
    const watch = watchFleet({ rancherClusters: 'all' });
    await settle();
    assert.deepEqual(watch.reasons, []);
    assert.deepEqual(reached, ['c-m-prod'], 'neither local nor the cluster that is not ready');
    assert.equal(
      management.requests.filter((request) => request.startsWith('watch ')).join('\n'),
      'watch /apis/management.cattle.io/v3/clusters',
    );

    prod.addNamespace('shop');
    assert.deepEqual(await watch.until(/shop/), ['c-m-prod/shop: namespace added']);
  });

  it('serves a cluster added while it runs at once, and then watches its namespaces', async () => {
    const watch = watchFleet({ rancherClusters: 'all' });
    await settle();
    const added = addCluster({ id: 'c-m-new', displayName: 'New', ready: 'True' });
    await watch.until(/cluster added/);
    added.addNamespace('shop');
    assert.deepEqual(await watch.until(/shop/), [
      'c-m-new: cluster added',
      'c-m-new/shop: namespace added',
    ]);
  });

  it('serves a cluster once it becomes ready, not before', async () => {
    const edge = addCluster({ id: 'c-m-edge', ready: 'Unknown', reason: 'Provisioning' });
    const watch = watchFleet({ rancherClusters: 'all' });
    await settle();
    addCluster({ id: 'c-m-edge', ready: 'False', reason: 'Unavailable' });
    await settle();
    assert.deepEqual(watch.reasons, []);
    assert.equal(edge.openWatches, 0);

    addCluster({ id: 'c-m-edge', ready: 'True' });
    assert.deepEqual(await watch.until(/ready/), ['c-m-edge: became ready']);
    assert.ok(edge.openWatches > 0);
  });

  it('closes the watches of a cluster removed, being deleted, no longer ready or no longer labelled', async () => {
    const labels = { fleet: 'ecr' };
    const ids = ['c-m-removed', 'c-m-deleting', 'c-m-down', 'c-m-relabelled'];
    const clusters = ids.map((id) => addCluster({ id, labels, ready: 'True' }));
    const watch = watchFleet({ rancherClusterSelector: 'fleet=ecr' });
    await settle();
    assert.ok(clusters.every((api) => api.openWatches > 0));

    management.deleteCustomObject(CLUSTERS, 'c-m-removed');
    const deleting = clusterObject({ id: 'c-m-deleting', labels, ready: 'True' });
    management.putCustomObject(CLUSTERS, {
      ...deleting,
      metadata: { ...deleting.metadata, deletionTimestamp: '2026-12-02T10:00:00Z' },
    });
    addCluster({ id: 'c-m-down', labels, ready: 'False', reason: 'Disconnected' });
    addCluster({ id: 'c-m-relabelled', labels: { fleet: 'other' }, ready: 'True' });
    for (const api of clusters) await closed(api);

    // Nothing of theirs is reported any more.
    for (const api of clusters) api.addNamespace('late');
    await settle();
    assert.deepEqual(watch.reasons, []);
  });

  it('ignores changes of a Cluster that leave it served as it was: no refresh, no watch restarted', async () => {
    const prod = addCluster({ id: 'c-m-prod', ready: 'True' });
    const watch = watchFleet({ rancherClusters: 'all' });
    await settle();
    const watchesBefore = prod.requests.filter((request) => request.startsWith('watch ')).length;
    const object = clusterObject({ id: 'c-m-prod', ready: 'True' });
    for (const time of ['10:00:00', '10:00:30', '10:01:00'])
      management.putCustomObject(CLUSTERS, {
        ...object,
        status: { ...object.status, agentImage: 'rancher/rancher-agent', lastPing: time },
      });
    await settle();

    assert.deepEqual(watch.reasons, []);
    assert.equal(
      prod.requests.filter((request) => request.startsWith('watch ')).length,
      watchesBefore,
    );
    assert.deepEqual(reached, ['c-m-prod']);
  });

  it('chooses clusters by id or display name, as the one-shot run does', async () => {
    addCluster({ id: 'c-m-prod', displayName: 'Prod EU', ready: 'True' });
    const watch = watchFleet({ rancherClusters: ['Prod EU', 'c-m-later', 'local'] });
    await settle();
    assert.deepEqual(reached.sort(), ['c-m-prod', 'local']);

    addCluster({ id: 'c-m-other', displayName: 'Other', ready: 'True' });
    addCluster({ id: 'c-m-later', displayName: 'Later', ready: 'True' });
    assert.deepEqual(await watch.until(/c-m-later/), ['c-m-later: cluster added']);
    assert.equal(reached.includes('c-m-other'), false);
  });

  it('lists the clusters again when the watch starts over, serving the ones it missed', async () => {
    const watch = watchFleet({ rancherClusters: 'all' });
    await settle();
    // Stored without an event, as when the watch was away: only a new list finds it.
    apis.set('c-m-missed', downstream('default'));
    management.customObjects.set(
      `${CLUSTERS.group}/${CLUSTERS.plural}//c-m-missed`,
      clusterObject({ id: 'c-m-missed', ready: 'True' }),
    );
    management.forgetHistory();
    management.dropWatches();
    assert.ok((await watch.until(/c-m-missed/)).includes('c-m-missed: cluster added'));
  });
});
