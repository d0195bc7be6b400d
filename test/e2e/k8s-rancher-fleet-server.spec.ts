// `ecr-refresh k8s --rancher-clusters` on the real Rancher v2.15.0 (test/peers/rancher2): its own
// Cluster objects (the `local` cluster, Ready), listed and served through its `/k8s/clusters/`
// proxy with the kubeconfig Rancher issues the admin. Several downstream clusters cannot run
// here: k8s-rancher-fleet.spec.ts has them, behind a stand-in of the proxy.
// Then the kubeconfig of the fleet-wide chart install (README, "Fleet-wide, installed with the
// chart"): Rancher's in-cluster listener, the target of its `rancher-internal` Service (its HTTPS
// port + 1), checked as rancher-internal.cattle-system.svc against the CA of
// tls-rancher-internal-ca, with a Rancher token; and why a pod cannot serve a fleet with its own
// ServiceAccount: Rancher takes the local cluster's ServiceAccount tokens for local only.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpRequest } from '../peers/http-request.ts';
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
/** The name the chart's kubeconfig gives Rancher's in-cluster Service. */
const INTERNAL_SERVICE_HOST = 'rancher-internal.cattle-system.svc';

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

  describe("the fleet-wide chart's kubeconfig: Rancher's in-cluster listener", () => {
    let workdir: string;
    let inCluster: string;
    /** Rancher's in-cluster listener on loopback: where its `rancher-internal` Service sends. */
    let internalOrigin: string;
    /** The CA of that listener's certificate (the Secret cattle-system/tls-rancher-internal-ca). */
    let internalCaPem: string;

    before(async () => {
      workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-in-cluster-'));
      inCluster = uniqueName('in-cluster');
      await rancher.kube.createNamespace(inCluster);
      internalOrigin = `https://127.0.0.1:${Number(new URL(rancher.origin).port) + 1}`;
      const ca = await rancher.kube.request(
        'GET',
        '/api/v1/namespaces/cattle-system/secrets/tls-rancher-internal-ca',
      );
      assert.equal(ca.status, 200, JSON.stringify(ca.body));
      internalCaPem = Buffer.from(ca.body.data['tls.crt'], 'base64').toString('utf8');
    });
    after(async () => rm(workdir, { recursive: true, force: true }));

    /** GET of the namespaces of a cluster through Rancher's proxy at `origin`, with this bearer token. */
    async function listThroughProxy(
      origin: string,
      tls: { ca: string; servername?: string },
      clusterId: string,
      token: string,
    ): Promise<{ status: number; body: string }> {
      const response = await httpRequest(
        `${origin}/k8s/clusters/${clusterId}/api/v1/namespaces?limit=1`,
        { headers: { authorization: `Bearer ${token}` }, tls },
      );
      return { status: response.status, body: response.body.slice(0, 300) };
    }

    it('serves local through the listener, named rancher-internal.cattle-system.svc, with the internal CA and a Rancher token', async () => {
      const kubeconfig = join(workdir, 'rancher.yaml');
      await writeFile(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'local',
              cluster: {
                // In a pod: https://rancher-internal.cattle-system.svc/k8s/clusters/local (port 443).
                server: `${internalOrigin}/k8s/clusters/local`,
                'tls-server-name': INTERNAL_SERVICE_HOST,
                'certificate-authority-data': Buffer.from(internalCaPem).toString('base64'),
              },
            },
          ],
          users: [{ name: 'ecr-refresh', user: { token: rancher.adminToken } }],
          contexts: [{ name: 'local', context: { cluster: 'local', user: 'ecr-refresh' } }],
          'current-context': 'local',
        }),
        { mode: 0o600 },
      );

      const run = await runK8sJson(moto, kubeconfig, [
        '--rancher-clusters',
        'local',
        '-n',
        inCluster,
        '--service-account',
        'none',
      ]);

      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), { created: [`local/${inCluster}`] });
      assert.equal(
        dockerConfigOf(await readSecret(rancher.kube, inCluster)).auths[HOST]?.password,
        MOTO_PASSWORD,
      );
    });

    it('takes a ServiceAccount token of the local cluster for local only (as that ServiceAccount), never for another cluster id, on both listeners', async () => {
      const account = uniqueName('sa');
      const serviceAccountToken = await rancher.kube.createServiceAccountToken(inCluster, account, {
        expirationSeconds: 600,
      });
      const absent = uniqueName('c-m-absent');

      for (const [origin, tls] of [
        [internalOrigin, { ca: internalCaPem, servername: INTERNAL_SERVICE_HOST }],
        [rancher.origin, { ca: rancher.caPem }],
      ] as const) {
        // local: Rancher hands the request to its own API server, which knows the ServiceAccount
        // (and grants it nothing here).
        const asAdmin = await listThroughProxy(origin, tls, 'local', rancher.adminToken);
        assert.equal(asAdmin.status, 200, asAdmin.body);
        const asAccount = await listThroughProxy(origin, tls, 'local', serviceAccountToken);
        assert.equal(asAccount.status, 403, asAccount.body);
        assert.ok(
          asAccount.body.includes(`system:serviceaccount:${inCluster}:${account}`),
          asAccount.body,
        );
        // Another cluster id: the Rancher token is authenticated (and told the cluster does not
        // exist), the ServiceAccount's is not.
        const elsewhereAsAdmin = await listThroughProxy(origin, tls, absent, rancher.adminToken);
        assert.equal(elsewhereAsAdmin.status, 404, elsewhereAsAdmin.body);
        const elsewhereAsAccount = await listThroughProxy(origin, tls, absent, serviceAccountToken);
        assert.equal(elsewhereAsAccount.status, 403, elsewhereAsAccount.body);
        assert.ok(
          elsewhereAsAccount.body.includes('system:unauthenticated'),
          elsewhereAsAccount.body,
        );
      }
    });
  });
});
