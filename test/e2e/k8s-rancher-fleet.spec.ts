import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  startKubeApiServer,
  startRancherProxy,
  writeRancherKubeconfig,
  type KubeApiServer,
  type Moto,
  type RancherProxy,
  type RancherUser,
} from '../peers/index.ts';
import {
  createRancherCluster,
  deleteRancherCluster,
  installRancherKinds,
  setRancherClusterReady,
  type RancherClusterSpec,
} from '../peers/rancher2/rancher-management.ts';
import { waitUntil } from '../peers/wait-until.ts';
import type { CliRun } from '../support/run-cli.ts';
import {
  DEPLOY_DIR,
  HOST,
  MOTO_PASSWORD,
  createNamespaces,
  dockerConfigOf,
  kustomize,
  readSecret,
  runK8sJson,
  servedWithin,
  startWatchService,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const FLEET_DIR = join(DEPLOY_DIR, 'rancher2', 'fleet');
// "Within seconds": what service mode promises for a change, refresh included.
const SECONDS = 10_000;
const FLEET_SERVICE_MODE_DIR = join(DEPLOY_DIR, 'rancher2', 'fleet-service-mode');

interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly resourceNames?: string[];
  readonly verbs: string[];
}

/** The rules of a shipped Rancher role (GlobalRole or RoleTemplate). */
async function shippedRules(file: string): Promise<PolicyRule[]> {
  return (parse(await readFile(join(FLEET_DIR, file), 'utf8')) as { rules: PolicyRule[] }).rules;
}

/** The rules of the GlobalRole and the RoleTemplate that `kubectl kustomize <directory>` renders. */
function renderedRules(
  kube: KubeApiServer,
  directory: string,
): { global: PolicyRule[]; cluster: PolicyRule[] } {
  const objects = kustomize(kube, directory) as Array<{ kind: string; rules: PolicyRule[] }>;
  const rulesOf = (kind: string) => objects.find((object) => object.kind === kind)?.rules ?? [];
  return { global: rulesOf('GlobalRole'), cluster: rulesOf('RoleTemplate') };
}

/** The audit log's `verb resource status` of a user's requests, each once. */
async function auditedCalls(kube: KubeApiServer, userId: string): Promise<string[]> {
  const events = (await kube.auditEvents(userId)).filter(
    (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
  );
  return [
    ...new Set(
      events.map(
        (event) => `${event.verb} ${event.objectRef?.resource} ${event.responseStatus?.code}`,
      ),
    ),
  ].sort();
}

/**
 * What Rancher makes of a role bound to a user in one cluster: a ClusterRole with the role's
 * rules and a ClusterRoleBinding to the user (the proxy impersonates that user).
 */
async function grantAsRancherDoes(
  kube: KubeApiServer,
  name: string,
  rules: readonly PolicyRule[],
  userId: string,
): Promise<void> {
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const role = await kube.request('POST', `${rbac}/clusterroles`, { metadata: { name }, rules });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const binding = await kube.request('POST', `${rbac}/clusterrolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: userId }],
  });
  assert.equal(binding.status, 201, JSON.stringify(binding.body));
}

// Rancher's management cluster (the run's API server, with Rancher's kinds installed by hand) and
// two downstream clusters, each a real API server of its own, behind the stand-in of Rancher's
// proxy; one more cluster id whose agent is gone. The user holds exactly the shipped fleet roles.
describe("e2e: ecr-refresh k8s --rancher-clusters: a Rancher fleet through Rancher's proxy", function () {
  this.timeout(180_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let east: KubeApiServer;
  let west: KubeApiServer;
  let proxy: RancherProxy;
  let workdir: string;
  let kubeconfigPath: string;
  let user: RancherUser;
  // Labels this run's Cluster objects: the management API server is shared with other suites.
  let run: string;
  let ids: Record<'east' | 'west' | 'gone' | 'new', string>;

  before(async () => {
    [{ kube, moto }, east, west] = await Promise.all([
      useKubeAndMoto(),
      startKubeApiServer(),
      startKubeApiServer(),
    ]);
    await installRancherKinds(kube);
    run = uniqueName('run');
    ids = {
      east: uniqueName('c-m-east'),
      west: uniqueName('c-m-west'),
      gone: uniqueName('c-m-gone'),
      new: uniqueName('c-m-new'),
    };
    proxy = await startRancherProxy(kube, {
      clusterIds: ['local'],
      downstream: { [ids.east]: east, [ids.west]: west },
      unreachable: [ids.gone],
    });
    const labels = { 'ecr-refresh-test/run': run };
    const clusters: RancherClusterSpec[] = [
      { id: ids.east, displayName: 'East', labels: { ...labels, env: 'prod' }, ready: 'True' },
      { id: ids.west, displayName: 'West', labels: { ...labels, env: 'test' }, ready: 'True' },
      // Rancher still says Ready: the agent went away a moment ago.
      { id: ids.gone, displayName: 'Gone', labels, ready: 'True' },
      { id: ids.new, displayName: 'New', labels, ready: 'Unknown', reason: 'Provisioning' },
    ];
    for (const cluster of clusters) await createRancherCluster(kube, cluster);
    await createNamespaces(east, ['shop', 'pay']);
    await createNamespaces(west, ['shop']);

    user = { id: uniqueName('u') };
    const [globalRules, clusterRules] = await Promise.all([
      shippedRules('global-role.yaml'),
      shippedRules('cluster-role-template.yaml'),
    ]);
    await grantAsRancherDoes(kube, `cattle-globalrole-${user.id}`, globalRules, user.id);
    for (const downstream of [east, west])
      await grantAsRancherDoes(
        downstream,
        `ecr-refresh-fleet-cluster-${user.id}`,
        clusterRules,
        user.id,
      );

    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-fleet-'));
    kubeconfigPath = await writeRancherKubeconfig(join(workdir, 'rancher.yaml'), {
      clusterName: 'local',
      server: proxy.serverFor('local'),
      caPem: proxy.caPem,
      user: { token: proxy.issueToken(user) },
    });
  });
  beforeEach(() => proxy.clearRecords());
  after(async () => {
    await proxy?.stop();
    await Promise.all([east?.stop(), west?.stop()]);
    await rm(workdir, { recursive: true, force: true });
  });

  function k8s(args: readonly string[], namespaces = '*'): Promise<CliRun> {
    return runK8sJson(moto, kubeconfigPath, [
      '--rancher-cluster-selector',
      `ecr-refresh-test/run=${run}`,
      '-n',
      namespaces,
      // No controller-manager here: default has no default ServiceAccount.
      '--exclude-namespace',
      'kube-*,default',
      '--force',
      ...args,
    ]);
  }

  it('writes every namespace of every ready cluster through the proxy with one token and one ECR call; the unreachable cluster fails alone, exit 1', async () => {
    const result = await k8s(['--rancher-clusters', 'all', '--cluster-timeout', '60']);

    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.deepEqual(targetsByAction(result.stdout), {
      created: [`${ids.east}/pay`, `${ids.east}/shop`, `${ids.west}/shop`].sort(),
      failed: [ids.gone],
      unchanged: [ids.new],
    });
    const report = JSON.parse(result.stdout) as {
      ecrCalls: number;
      results: Array<{
        target: string;
        cluster: string | null;
        reason?: string;
        error?: { message: string };
      }>;
    };
    assert.equal(report.ecrCalls, 1);
    assert.deepEqual(
      report.results.map(({ target, cluster }) => [target, cluster]).sort(),
      [
        [`${ids.east}/pay`, ids.east],
        [`${ids.east}/shop`, ids.east],
        [`${ids.west}/shop`, ids.west],
        [ids.gone, ids.gone],
        [ids.new, ids.new],
      ].sort(),
      'every result names its cluster by id',
    );
    const byTarget = new Map(report.results.map((entry) => [entry.target, entry]));
    assert.match(
      byTarget.get(ids.gone)?.error?.message ?? '',
      new RegExp(`^Rancher cluster ${ids.gone} \\("Gone"\\): `),
    );
    assert.match(
      byTarget.get(ids.new)?.reason ?? '',
      /skipped: .*not ready: Ready=Unknown \(Provisioning\)/,
    );
    for (const [downstream, namespace] of [
      [east, 'shop'],
      [east, 'pay'],
      [west, 'shop'],
    ] as const)
      assert.equal(
        dockerConfigOf(await readSecret(downstream, namespace)).auths[HOST]?.password,
        MOTO_PASSWORD,
      );
    assert.equal(
      await readSecret(kube, 'default'),
      undefined,
      'nothing is written on the local cluster',
    );

    // Every request went through Rancher's proxy as the Rancher user; only the list of clusters to local.
    assert.deepEqual(
      proxy.forwarded.filter((request) => request.via !== 'proxy' || request.user !== user.id),
      [],
    );
    assert.deepEqual(
      proxy.forwarded
        .filter((request) => request.clusterId === 'local')
        .map((request) => `${request.method} ${request.path.split('?')[0]}`),
      ['GET /apis/management.cattle.io/v3/clusters'],
    );
    assert.deepEqual(
      [...new Set(proxy.forwarded.map((request) => request.clusterId))].sort(),
      ['local', ids.east, ids.gone, ids.west].sort(),
    );
  });

  it('needs no more than the shipped fleet roles: nothing refused, every grant but the failure-only Events used (audit log)', async () => {
    // Listed namespaces (-n '*'), and named ones (read one by one: the get grants).
    for (const namespaces of ['*', 'shop']) {
      const result = await k8s(['--rancher-clusters', `${ids.east},West`], namespaces);
      assert.equal(result.status, 0, result.stdout + result.stderr);
    }

    const managementEvents = (await kube.auditEvents(user.id)).filter(
      (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
    );
    assert.deepEqual(
      [
        ...new Set(
          managementEvents.map(
            (event) => `${event.verb} ${event.objectRef?.resource} ${event.responseStatus?.code}`,
          ),
        ),
      ],
      ['list clusters 200'],
    );
    const clusterRules = await shippedRules('cluster-role-template.yaml');
    const granted = clusterRules.flatMap((rule) =>
      rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`)),
    );
    for (const downstream of [east, west]) {
      const events = (await downstream.auditEvents(user.id)).filter(
        (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
      );
      assert.deepEqual(
        events
          .filter((event) => event.responseStatus?.code === 403)
          .map((event) => `${event.verb} ${event.objectRef?.resource}`),
        [],
      );
      const used = new Set(events.map((event) => `${event.verb} ${event.objectRef?.resource}`));
      // Events are written only for failed targets (none here; k8s-rbac.spec.ts proves them).
      const unused = granted.filter((pair) => !used.has(pair));
      assert.deepEqual(
        unused.sort(),
        ['create events', 'patch events'].sort(),
        [...used].join(', '),
      );
    }
  });

  it('chooses clusters by display name and skips the rest; a name no cluster has fails, exit 1', async () => {
    const result = await k8s(['--rancher-clusters', 'West,Nowhere', '--dry-run']);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const byAction = targetsByAction(result.stdout);
    assert.deepEqual(byAction.failed, ['Nowhere']);
    assert.ok(
      Object.values(byAction)
        .flat()
        .every((target) => target === 'Nowhere' || target.startsWith(`${ids.west}/`)),
      result.stdout,
    );
    assert.deepEqual(
      [...new Set(proxy.forwarded.map((request) => request.clusterId))].sort(),
      ['local', ids.west].sort(),
    );
  });

  // Its own Cluster objects (labelled for this test only), behind new proxy ids in front of the
  // same two API servers, and a user holding the shipped service-mode roles.
  it('in service mode, serves a cluster added or becoming ready within seconds, a new namespace too, and closes the watches of a removed cluster', async () => {
    const watchRun = uniqueName('watch');
    const labels = { 'ecr-refresh-test/watch': watchRun };
    const served = { id: uniqueName('c-m-w-east'), displayName: 'Watched East', labels };
    const late = { id: uniqueName('c-m-w-late'), displayName: 'Late', labels };
    const added = { id: uniqueName('c-m-w-added'), displayName: 'Added', labels };
    await proxy.addDownstream(served.id, east);
    await proxy.addDownstream(late.id, west);
    await createRancherCluster(kube, { ...served, ready: 'True' });
    await createRancherCluster(kube, { ...late, ready: 'Unknown', reason: 'Provisioning' });
    const created = uniqueName('w-new');
    const becameReady = uniqueName('w-ready');
    const afterRemoval = uniqueName('w-gone');
    await createNamespaces(west, [becameReady]);

    const watcher = { id: uniqueName('u-watch') };
    const rules = renderedRules(kube, FLEET_SERVICE_MODE_DIR);
    await grantAsRancherDoes(kube, `cattle-globalrole-${watcher.id}`, rules.global, watcher.id);
    for (const downstream of [east, west])
      await grantAsRancherDoes(
        downstream,
        `ecr-refresh-fleet-cluster-${watcher.id}`,
        rules.cluster,
        watcher.id,
      );
    const watcherKubeconfig = await writeRancherKubeconfig(join(workdir, 'watcher.yaml'), {
      clusterName: 'local',
      server: proxy.serverFor('local'),
      caPem: proxy.caPem,
      user: { token: proxy.issueToken(watcher) },
    });

    const service = await startWatchService(moto, [
      '--kubeconfig',
      watcherKubeconfig,
      '--rancher-cluster-selector',
      `ecr-refresh-test/watch=${watchRun}`,
      '-n',
      '*',
      '--exclude-namespace',
      'kube-*,default',
    ]);
    try {
      // (d) A namespace created in a served cluster.
      await createNamespaces(east, [created]);
      await servedWithin(east, created, SECONDS);
      // State per cluster, not per namespace: three watches (namespaces, our Secret, the
      // ServiceAccount by name), whatever the number of namespaces, once no refresh is running.
      await waitUntil(async () => proxy.openRequests(served.id) === 3, {
        what: `three open watches of ${served.id}, and no other request`,
        timeoutMs: SECONDS,
        intervalMs: 20,
      });

      // (b) A cluster that was not ready becomes ready.
      assert.equal(await readSecret(west, becameReady), undefined, 'not served while not ready');
      await setRancherClusterReady(kube, { ...late, ready: 'True' });
      await servedWithin(west, becameReady, SECONDS);
      assert.ok(proxy.openRequests(late.id) > 0, 'its watches are open');

      // (c) A removed cluster: its watches close, nothing more goes to it.
      await deleteRancherCluster(kube, late.id);
      await waitUntil(async () => proxy.openRequests(late.id) === 0, {
        what: `every request to ${late.id} closed`,
        timeoutMs: SECONDS,
        intervalMs: 20,
      });
      const sentToLate = proxy.forwarded.filter((request) => request.clusterId === late.id).length;
      await createNamespaces(west, [afterRemoval]);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(await readSecret(west, afterRemoval), undefined, 'the removed cluster is left');
      assert.equal(
        proxy.forwarded.filter((request) => request.clusterId === late.id).length,
        sentToLate,
        `no request to ${late.id} after its removal`,
      );

      // (a) A new Cluster object, ready (in front of the same API server, under a new id).
      await proxy.addDownstream(added.id, west);
      await createRancherCluster(kube, { ...added, ready: 'True' });
      await servedWithin(west, afterRemoval, SECONDS);

      const reasons = service.changesSeen();
      assert.ok(reasons.includes(`k8s: ${late.id}: became ready`), reasons.join('\n'));
      // The API server takes a Cluster's status through its subresource only: a new Cluster is
      // ADDED without conditions, then becomes ready, as Rancher's own are.
      assert.ok(
        reasons.some((reason) =>
          new RegExp(`^k8s: ${added.id}: (cluster added|became ready)$`).test(reason),
        ),
        reasons.join('\n'),
      );
      assert.ok(
        reasons.includes(`k8s: ${served.id}/${created}: namespace added`),
        reasons.join('\n'),
      );
    } finally {
      await service.stop();
    }

    // The shipped service-mode roles suffice: nothing refused, and every watch they add is used.
    const management = await auditedCalls(kube, watcher.id);
    assert.deepEqual(management, ['list clusters 200', 'watch clusters 200']);
    for (const downstream of [east, west]) {
      const calls = await auditedCalls(downstream, watcher.id);
      assert.deepEqual(
        calls.filter((call) => !call.endsWith(' 200') && !call.endsWith(' 201')),
        [],
      );
      for (const resource of ['namespaces', 'secrets', 'serviceaccounts'])
        assert.ok(calls.includes(`watch ${resource} 200`), calls.join(', '));
    }
  });
});
