// `ecr-refresh k8s --rancher-clusters` on the real Rancher v2.15.0 (test/peers/rancher2): its own
// Cluster objects (the `local` cluster, Ready), listed and served through its `/k8s/clusters/`
// proxy with the kubeconfig Rancher issues the admin. Several downstream clusters cannot run
// here: k8s-rancher-fleet.spec.ts has them, behind a stand-in of the proxy.
import assert from 'node:assert/strict';
import { useMoto, useRancher2, type Moto, type Rancher2 } from '../peers/index.ts';
import { waitUntil } from '../peers/wait-until.ts';
import type { CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  dockerConfigOf,
  readSecret,
  runK8sJson,
  startWatchService,
  targetsByAction,
  uniqueName,
} from './k8s-helpers.ts';

// A cold start builds Rancher first, and may wait for another run's Rancher to stop.
const BUILD_AND_START_MS = 120 * 60_000;

describe('e2e: ecr-refresh k8s --rancher-clusters on the real Rancher v2.15.0', function () {
  this.timeout(120_000);
  let rancher: Rancher2;
  let moto: Moto;
  let namespace: string;

  before(async function () {
    this.timeout(BUILD_AND_START_MS);
    [rancher, moto] = await Promise.all([useRancher2(), useMoto()]);
    await moto.reset();
    namespace = uniqueName('fleet');
    await rancher.kube.createNamespace(namespace);
  });

  const k8s = (args: readonly string[]): Promise<CliRun> =>
    runK8sJson(moto, rancher.adminKubeconfigPath, [
      '-n',
      namespace,
      '--service-account',
      'none',
      ...args,
    ]);

  it('reads the real Cluster objects: "all" leaves local out, and local is served through the proxy when named', async () => {
    const all = await k8s(['--rancher-clusters', 'all']);
    assert.equal(all.status, 0, all.stdout + all.stderr);
    assert.deepEqual(JSON.parse(all.stdout).results, []);
    assert.equal(await readSecret(rancher.kube, namespace), undefined);

    const local = await k8s(['--rancher-clusters', 'local']);
    assert.equal(local.status, 0, local.stdout + local.stderr);
    assert.deepEqual(targetsByAction(local.stdout), { created: [`local/${namespace}`] });
    const secret = await readSecret(rancher.kube, namespace);
    assert.equal(dockerConfigOf(secret).auths[HOST]?.password, MOTO_PASSWORD);
  });

  it('applies the label selector on the real server: no cluster has the label, so local is not found', async () => {
    const run = await k8s([
      '--rancher-clusters',
      'local',
      '--rancher-cluster-selector',
      `ecr-refresh-test/absent=${uniqueName('x')}`,
    ]);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), { failed: ['local'] });
    assert.match(
      run.stdout,
      /no cluster labelled ecr-refresh-test\/absent=x-[0-9a-f]+ has this id or display name/,
    );
  });

  it('in service mode, watches the real cluster list: a change of the local Cluster that leaves it served refreshes nothing, and a namespace created there is served', async () => {
    const run = uniqueName('watch');
    const service = await startWatchService(moto, [
      '--kubeconfig',
      rancher.adminKubeconfigPath,
      '--rancher-clusters',
      'local',
      '-l',
      `ecr-refresh-test/fleet=${run}`,
      '--service-account',
      'none',
    ]);
    try {
      // A change of the Cluster object that leaves it chosen and ready (as Rancher's own status
      // updates are): an annotation, through the API server as any client would.
      const path = '/apis/management.cattle.io/v3/clusters/local';
      const touched = await rancher.kube.request(
        'PATCH',
        path,
        { metadata: { annotations: { 'ecr-refresh-test/touched': run } } },
        { contentType: 'application/merge-patch+json' },
      );
      assert.equal(touched.status, 200, JSON.stringify(touched.body));
      const created = uniqueName('fleet-w');
      await rancher.kube.createNamespace(created, { 'ecr-refresh-test/fleet': run });
      await waitUntil(async () => (await readSecret(rancher.kube, created)) !== undefined, {
        what: `the Secret in ${created}`,
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      assert.equal(
        dockerConfigOf(await readSecret(rancher.kube, created)).auths[HOST]?.password,
        MOTO_PASSWORD,
      );
      assert.deepEqual(service.changesSeen(), [`k8s: local/${created}: namespace added`]);
    } finally {
      await service.stop();
    }
  });
});
