import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type KubeApiServer,
  type Moto,
} from '../peers/index.ts';
import { assertEndsInFailure } from '../support/persistent-fault.ts';
import { DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  createNamespaces,
  dockerConfigOf,
  readSecret,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

// --timeout 2 and 3 retries with delays from 0.5 s: the slowest failure ends well within this.
const BOUND_MS = 45_000;
const ACCOUNT = 'ecr-refresh-faults';

describe('e2e: ecr-refresh k8s against a failing API server (TLS-terminating fault proxy, ServiceAccount token)', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let proxy: FaultProxy;
  let kubeconfig: string;
  let tokenNamespace: string;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    // The API server's own serving certificate (127.0.0.1, signed by the test CA): clients that
    // trust the CA trust the proxy. Client certificates cannot pass it, so a token is used.
    const pki = dirname(kube.caPath);
    const [cert, key, ca] = await Promise.all(
      ['apiserver.crt', 'apiserver.key', 'ca.crt'].map((file) => readFile(join(pki, file), 'utf8')),
    );
    proxy = await startFaultProxy(kube.server, {
      tls: { cert: cert ?? '', key: key ?? '' },
      upstreamCa: ca,
    });
    tokenNamespace = uniqueName('faults-sa');
    await createNamespaces(kube, [tokenNamespace]);
    const token = await kube.createServiceAccountToken(tokenNamespace, ACCOUNT);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${tokenNamespace}-admin` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ kind: 'ServiceAccount', name: ACCOUNT, namespace: tokenNamespace }],
    };
    assert.equal(
      (
        await kube.request(
          'POST',
          '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
          binding,
        )
      ).status,
      201,
    );
    const direct = await kube.kubeconfigForToken(token);
    kubeconfig = `${direct}-through-fault-proxy`;
    await writeFile(kubeconfig, (await readFile(direct, 'utf8')).replace(kube.server, proxy.url), {
      mode: 0o600,
    });
  });
  after(async () => proxy?.stop());
  afterEach(() => proxy.plan([]));

  const refresh = (namespace: string, ...extra: string[]): Promise<CliRun> =>
    runCli(
      [
        'k8s',
        '--registry',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kubeconfig,
        '-n',
        namespace,
        '--timeout',
        '2',
        '--log-format',
        'json',
        '--output',
        'json',
        ...extra,
      ],
      DUMMY_AWS_ENV,
    );
  /** A namespace whose Secret ecr-refresh wrote through the proxy, with no fault: its uid. */
  const namespaceInUse = async (): Promise<{ namespace: string; uid: string }> => {
    const namespace = uniqueName('faults');
    await createNamespaces(kube, [namespace]);
    const first = await refresh(namespace);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    return { namespace, uid: (await readSecret(kube, namespace)).metadata.uid };
  };
  /** The same Secret object, a whole dockerconfigjson with the password for HOST. */
  const assertStillValid = async (namespace: string, uid: string): Promise<void> => {
    const secret = await readSecret(kube, namespace);
    assert.equal(secret?.metadata.uid, uid, 'the Secret was deleted or re-created');
    const entry = dockerConfigOf(secret).auths[HOST];
    assert.equal(Buffer.from(entry?.auth ?? '', 'base64').toString(), `AWS:${MOTO_PASSWORD}`);
  };
  const secretRequests = (namespace: string) =>
    new RegExp(`^/api/v1/namespaces/${namespace}/secrets`);

  const transient: Array<[name: string, faults: Fault[]]> = [
    [
      'two 503s with Retry-After',
      [
        { kind: 'status', status: 503, retryAfterSeconds: 1 },
        { kind: 'status', status: 503, retryAfterSeconds: 1 },
      ],
    ],
    ['a 429 with Retry-After', [{ kind: 'status', status: 429, retryAfterSeconds: 1 }]],
    ['a 500', [{ kind: 'status', status: 500 }]],
    ['a reset connection', [{ kind: 'reset' }]],
    ['a response cut in half', [{ kind: 'truncate' }]],
    ['a slow answer within the timeout', [{ kind: 'delay', ms: 1200 }]],
  ];
  for (const [name, faults] of transient) {
    it(`replaces the Secret in place after ${name}`, async () => {
      const { namespace, uid } = await namespaceInUse();
      const seen = proxy.requests.length;
      proxy.plan(faults, { matching: secretRequests(namespace) });
      const run = await refresh(namespace, '--force');
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.equal((JSON.parse(run.stdout) as { totals: { updated: number } }).totals.updated, 1);
      await assertStillValid(namespace, uid);
      const attempts = proxy.requests
        .slice(seen)
        .filter((request) => secretRequests(namespace).test(request.path));
      assert.ok(attempts.length > faults.length, `${attempts.length} requests`);
      if (faults[0]?.kind !== 'delay') {
        const retries = run.stderr
          .split('\n')
          .filter((line) => line.includes('Kubernetes API request failed; retrying'));
        assert.equal(retries.length, faults.length, run.stderr);
      }
    });
  }

  const persistent: Array<[name: string, fault: Fault, message: RegExp]> = [
    ['a 503 on every request', { kind: 'status', status: 503, retryAfterSeconds: 1 }, /HTTP 503/],
    ['a reset of every connection', { kind: 'reset' }, /no answer from the API server/],
    ['a black hole', { kind: 'blackhole' }, /no answer from the API server/],
  ];
  for (const [name, fault, message] of persistent) {
    it(`ends ${name} with exit 1 in bounded time, the Secret still valid`, async () => {
      const { namespace, uid } = await namespaceInUse();
      proxy.plan([], { afterwards: fault, matching: secretRequests(namespace) });
      await assertEndsInFailure(() => refresh(namespace, '--force'), {
        boundMs: BOUND_MS,
        code: /^ERR_K8S_API$/,
        message,
      });
      proxy.plan([]);
      await assertStillValid(namespace, uid);
    });
  }
});
