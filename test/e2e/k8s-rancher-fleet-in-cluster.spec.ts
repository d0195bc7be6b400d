// The kubeconfig of the fleet-wide chart install (README, "Fleet-wide, installed with the
// chart"), on the real Rancher v2.15.0 (test/peers/rancher2): Rancher's in-cluster listener, the
// target of its `rancher-internal` Service (its HTTPS port + 1), checked as
// rancher-internal.cattle-system.svc against the CA of tls-rancher-internal-ca, with a Rancher
// token. And why a pod cannot use its own ServiceAccount instead: Rancher's proxy refuses the
// local cluster's ServiceAccount tokens.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { useMoto, useRancher2, type Moto, type Rancher2 } from '../peers/index.ts';
import { httpRequest } from '../peers/http-request.ts';
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
/** The name the chart's kubeconfig gives Rancher's in-cluster Service. */
const INTERNAL_SERVICE_HOST = 'rancher-internal.cattle-system.svc';

describe("e2e: the fleet-wide chart's kubeconfig through Rancher's in-cluster listener (real Rancher v2.15.0)", function () {
  this.timeout(120_000);
  let rancher: Rancher2;
  let moto: Moto;
  let namespace: string;
  let workdir: string;
  /** Rancher's in-cluster listener on loopback: where its `rancher-internal` Service sends. */
  let internalOrigin: string;
  /** The CA of that listener's certificate (the Secret cattle-system/tls-rancher-internal-ca). */
  let internalCaPem: string;

  before(async function () {
    this.timeout(BUILD_AND_START_MS);
    [rancher, moto] = await Promise.all([useRancher2(), useMoto()]);
    await moto.reset();
    namespace = uniqueName('in-cluster');
    await rancher.kube.createNamespace(namespace);
    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-in-cluster-'));
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
      namespace,
      '--service-account',
      'none',
    ]);

    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), { created: [`local/${namespace}`] });
    assert.equal(
      dockerConfigOf(await readSecret(rancher.kube, namespace)).auths[HOST]?.password,
      MOTO_PASSWORD,
    );
  });

  it('takes a ServiceAccount token of the local cluster for local only (as that ServiceAccount), never for another cluster id, on both listeners', async () => {
    const account = uniqueName('sa');
    const serviceAccountToken = await rancher.kube.createServiceAccountToken(namespace, account, {
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
        asAccount.body.includes(`system:serviceaccount:${namespace}:${account}`),
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
