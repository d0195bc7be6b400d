import assert from 'node:assert/strict';
import { ConfigError, type TargetResult } from '@ecr-refresh/core';
import type { FakeKubeApi } from '../__fixtures__/fake-kube-api.ts';
import {
  clusterObject,
  downstream,
  rancherConnection,
  type ClusterSpec,
} from '../__fixtures__/fleet-clusters.ts';
import { PASSWORD, contextFor } from '../__fixtures__/apply-context.ts';
import type { KubeApi } from '../kube-api.ts';
import type { ClusterConnection } from '../kube-config.ts';
import { createKubernetesSink } from '../kubernetes-sink.ts';
import type { KubernetesSinkOptionsInput } from '../options.ts';
import { CLUSTERS } from './rancher-objects.ts';
import { recordingLogger } from '../__fixtures__/recording-logger.ts';

const SECRET = 'ecr-pull-credentials';

function byTarget(results: readonly TargetResult[]): Record<string, string> {
  return Object.fromEntries(results.map((result) => [result.target, result.action]));
}

function errorOf(results: readonly TargetResult[], target: string): string {
  return results.find((result) => result.target === target)?.error?.message ?? '';
}

describe('k8s/rancher2/fleet: serving Rancher downstream clusters through its proxy', () => {
  let management: FakeKubeApi;
  let apis: Map<string, KubeApi>;
  let reached: string[];

  const rancher = (namespace = 'default'): ClusterConnection =>
    rancherConnection(management, apis, reached, namespace);

  function fleetSink(options: KubernetesSinkOptionsInput, connection = rancher()) {
    return createKubernetesSink({ events: false, ...options }, { clusters: [connection] });
  }

  function addCluster(spec: ClusterSpec, api: KubeApi = downstream('default')): void {
    management.putCustomObject(CLUSTERS, clusterObject(spec));
    apis.set(spec.id, api);
  }

  beforeEach(() => {
    management = downstream('default');
    apis = new Map([['local', management]]);
    reached = [];
    management.putCustomObject(CLUSTERS, clusterObject({ id: 'local', ready: 'True' }));
  });

  it('serves every ready cluster but local with "all", each as its own cluster of results', async () => {
    const prod = downstream('default', 'shop');
    addCluster({ id: 'c-m-prod', displayName: 'Prod EU', ready: 'True' }, prod);
    addCluster({ id: 'c-m-test', displayName: 'Test', ready: 'True' });

    const results = await fleetSink({ rancherClusters: 'all', namespaces: ['*'] }).apply(
      contextFor(),
    );

    assert.deepEqual(byTarget(results), {
      'c-m-prod/default': 'created',
      'c-m-prod/shop': 'created',
      'c-m-test/default': 'created',
    });
    assert.deepEqual(reached.sort(), ['c-m-prod', 'c-m-test']);
    assert.equal(management.secrets.size, 0, 'nothing is written on the local cluster');
    const written = prod.secrets.get(`shop/${SECRET}`)?.data?.['.dockerconfigjson'] ?? '';
    assert.match(Buffer.from(written, 'base64').toString('utf8'), new RegExp(PASSWORD));
    assert.deepEqual(prod.serviceAccounts.get('shop/default')?.imagePullSecrets, [
      { name: SECRET },
    ]);
  });

  it('chooses clusters by id or display name, and serves local only when it is named', async () => {
    addCluster({ id: 'c-m-prod', displayName: 'Prod EU', ready: 'True' });
    addCluster({ id: 'c-m-test', displayName: 'Test', ready: 'True' });

    const results = await fleetSink({ rancherClusters: ['Prod EU', 'local'] }).apply(contextFor());

    assert.deepEqual(byTarget(results), {
      'c-m-prod/default': 'created',
      'local/default': 'created',
    });
  });

  it('chooses clusters by the labels of their Cluster objects, the selector applied by the server', async () => {
    addCluster({ id: 'c-m-prod', labels: { env: 'prod' }, ready: 'True' });
    addCluster({ id: 'c-m-test', labels: { env: 'test' }, ready: 'True' });

    const results = await fleetSink({ rancherClusterSelector: 'env=prod' }).apply(contextFor());

    assert.deepEqual(byTarget(results), { 'c-m-prod/default': 'created' });
    assert.ok(
      management.requests.includes('list management.cattle.io/clusters//?labelSelector=env=prod'),
      management.requests.join('\n'),
    );
  });

  it('skips a cluster that is not ready, reporting it and its reason without failing the run', async () => {
    addCluster({ id: 'c-m-up', ready: 'True' });
    addCluster({ id: 'c-m-down', displayName: 'Edge 7', ready: 'False', reason: 'Disconnected' });
    addCluster({ id: 'c-m-new' });
    const lines: string[] = [];

    const results = await fleetSink({ rancherClusters: 'all' }).apply({
      ...contextFor(),
      logger: recordingLogger(lines),
    });

    assert.deepEqual(byTarget(results), {
      'c-m-up/default': 'created',
      'c-m-down': 'unchanged',
      'c-m-new': 'unchanged',
    });
    const down = results.find((result) => result.target === 'c-m-down');
    assert.match(
      down?.reason ?? '',
      /skipped: cluster c-m-down \("Edge 7"\) is not ready: Ready=False \(Disconnected\)/,
    );
    assert.match(
      results.find((result) => result.target === 'c-m-new')?.reason ?? '',
      /no Ready condition/,
    );
    assert.deepEqual(reached, ['c-m-up']);
    assert.ok(
      lines.some((line) => /^warn: Rancher cluster c-m-down \("Edge 7"\) skipped/.test(line)),
    );
  });

  it('leaves out a cluster being deleted, even when named', async () => {
    addCluster({ id: 'c-m-live', ready: 'True' });
    addCluster({ id: 'c-m-dying', displayName: 'Dying', ready: 'True' });
    const dying = clusterObject({ id: 'c-m-dying', displayName: 'Dying', ready: 'True' });
    management.putCustomObject(CLUSTERS, {
      ...dying,
      metadata: { ...dying.metadata, deletionTimestamp: '2026-12-02T10:00:00Z' },
    });

    const all = await fleetSink({ rancherClusters: 'all' }).apply(contextFor());
    const named = await fleetSink({ rancherClusters: ['Dying'] }).apply(contextFor());

    assert.deepEqual(byTarget(all), { 'c-m-live/default': 'created' });
    assert.deepEqual(byTarget(named), { Dying: 'failed' });
    assert.equal(reached.includes('c-m-dying'), false);
  });

  it('fails a forbidden cluster alone, naming it by id and display name', async () => {
    const forbidden = downstream('default');
    forbidden.forbidden = ['list /api/v1/namespaces'];
    addCluster({ id: 'c-m-locked', displayName: 'Locked', ready: 'True' }, forbidden);
    addCluster({ id: 'c-m-open', ready: 'True' });

    const results = await fleetSink({ rancherClusters: 'all', namespaces: ['*'] }).apply(
      contextFor(),
    );

    assert.deepEqual(byTarget(results), { 'c-m-locked': 'failed', 'c-m-open/default': 'created' });
    assert.match(
      errorOf(results, 'c-m-locked'),
      /^Rancher cluster c-m-locked \("Locked"\): .*403 Forbidden/,
    );
  });

  it('fails a cluster that does not finish within the cluster timeout, and the others still finish', async () => {
    const hanging = downstream('default');
    hanging.listNamespaces = () => new Promise(() => {});
    hanging.readNamespace = () => new Promise(() => {});
    addCluster({ id: 'c-m-slow', displayName: 'Slow', ready: 'True' }, hanging);
    addCluster({ id: 'c-m-fast', ready: 'True' });

    const started = Date.now();
    const results = await fleetSink({ rancherClusters: 'all', clusterTimeoutMs: 200 }).apply(
      contextFor(),
    );

    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(byTarget(results), { 'c-m-slow': 'failed', 'c-m-fast/default': 'created' });
    assert.match(
      errorOf(results, 'c-m-slow'),
      /^Rancher cluster c-m-slow \("Slow"\): did not finish within 0\.2 s/,
    );
    assert.equal(results.find((result) => result.target === 'c-m-slow')?.error?.retryable, true);
  });

  it('serves at most clusterConcurrency clusters at the same time', async () => {
    let inFlight = 0;
    let most = 0;
    for (const id of ['c-m-1', 'c-m-2', 'c-m-3', 'c-m-4', 'c-m-5']) {
      const api = downstream('default');
      const listPage = api.listPage.bind(api);
      // Each cluster lists its namespaces once, first: as many at once as clusters are served.
      api.listPage = async (query, next) => {
        if (query.path !== '/api/v1/namespaces') return listPage(query, next);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
        return listPage(query, next);
      };
      addCluster({ id, ready: 'True' }, api);
    }
    const results = await fleetSink({
      rancherClusters: 'all',
      namespaces: ['*'],
      clusterConcurrency: 2,
    }).apply(contextFor());
    assert.equal(results.filter((result) => result.action === 'created').length, 5);
    assert.equal(most, 2);
  });

  it('reports a name that matches no cluster, or several, as a failed target and serves the rest', async () => {
    addCluster({ id: 'c-m-a', displayName: 'Twin', ready: 'True' });
    addCluster({ id: 'c-m-b', displayName: 'Twin', ready: 'True' });
    addCluster({ id: 'c-m-c', displayName: 'Solo', ready: 'True' });

    const results = await fleetSink({ rancherClusters: ['Twin', 'Nope', 'Solo'] }).apply(
      contextFor(),
    );

    assert.deepEqual(byTarget(results), {
      Twin: 'failed',
      Nope: 'failed',
      'c-m-c/default': 'created',
    });
    assert.match(
      errorOf(results, 'Twin'),
      /display name of several clusters \(c-m-a, c-m-b\); name one by id/,
    );
    assert.match(
      errorOf(results, 'Nope'),
      /no cluster has this id or display name .*known: .*c-m-c \("Solo"\)/,
    );
  });

  it('fails as one target when Rancher does not let it list the clusters', async () => {
    management.forbidden = ['list management.cattle.io/clusters'];
    const results = await fleetSink({ rancherClusters: 'all' }).apply(contextFor());
    assert.deepEqual(byTarget(results), { rancher: 'failed' });
    assert.equal(results[0]?.cluster, undefined, 'the failure concerns no one cluster');
    assert.match(
      errorOf(results, 'rancher'),
      /cannot list Rancher's clusters \(clusters\.management\.cattle\.io\) through rancher/,
    );
  });

  it('names the cluster of every result by id, and none for a name that matches no cluster', async () => {
    const forbidden = downstream('default');
    forbidden.forbidden = ['list /api/v1/namespaces'];
    const hanging = downstream('default');
    hanging.listPage = () => new Promise(() => {});
    addCluster({ id: 'c-m-prod', displayName: 'Prod', ready: 'True' }, downstream('a', 'b'));
    addCluster({ id: 'c-m-locked', ready: 'True' }, forbidden);
    addCluster({ id: 'c-m-slow', ready: 'True' }, hanging);
    addCluster({ id: 'c-m-down', ready: 'False' });

    const results = await fleetSink({
      rancherClusters: ['Prod', 'c-m-locked', 'c-m-slow', 'c-m-down', 'Nope'],
      namespaces: ['*'],
      clusterTimeoutMs: 200,
    }).apply(contextFor());

    const clusterOf = results.map(({ target, action, cluster }) => [target, action, cluster]);
    assert.deepEqual(clusterOf.sort(), [
      ['Nope', 'failed', undefined],
      ['c-m-down', 'unchanged', 'c-m-down'],
      ['c-m-locked', 'failed', 'c-m-locked'],
      ['c-m-prod/a', 'created', 'c-m-prod'],
      ['c-m-prod/b', 'created', 'c-m-prod'],
      ['c-m-slow', 'failed', 'c-m-slow'],
    ]);
  });

  it('applies the namespace selection, exclusions and opt-out label in every cluster', async () => {
    const a = downstream('team-a', 'team-b', 'kube-system');
    a.addNamespace('team-c', { 'ecr-refresh/exclude': 'true' });
    addCluster({ id: 'c-m-a', ready: 'True' }, a);
    addCluster({ id: 'c-m-b', ready: 'True' }, downstream('team-a', 'kube-public'));

    const results = await fleetSink({
      rancherClusters: 'all',
      namespaces: ['*'],
      excludeNamespaces: ['kube-*', 'team-b'],
      serviceAccounts: [],
    }).apply(contextFor());

    assert.deepEqual(byTarget(results), {
      'c-m-a/team-a': 'created',
      'c-m-b/team-a': 'created',
    });
    assert.equal(a.secrets.has(`team-c/${SECRET}`), false, 'the opted-out namespace is left alone');
  });

  it("refuses, before any request, a context that does not go through Rancher's proxy", () => {
    const plain = { context: 'kind', namespace: 'default', api: management };
    assert.throws(
      () => createKubernetesSink({ rancherClusters: 'all' }, { clusters: [plain] }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /context "kind" does not go through Rancher's proxy.*\/k8s\/clusters\/local, with a Rancher API key \(a pod's own ServiceAccount token reaches no other cluster/.test(
          error.message,
        ),
    );
    assert.equal(management.requests.length, 0);
  });
});
