// `ecr-refresh k8s --rancher-clusters` on the real Rancher v2.15.0 (test/peers/rancher2): its own
// Cluster objects (the `local` cluster, Ready), listed and served through its `/k8s/clusters/`
// proxy with the kubeconfig Rancher issues the admin. Several downstream clusters cannot run
// here: k8s-rancher-fleet.spec.ts has them, behind a stand-in of the proxy.
import assert from 'node:assert/strict';
import { useMoto, useRancher2, type Moto, type Rancher2 } from '../peers/index.ts';
import type { CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  dockerConfigOf,
  readSecret,
  runK8sJson,
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
});
