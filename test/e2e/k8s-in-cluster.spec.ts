import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenSource, parseRegistry, refresh } from '@ecr-refresh/core';
import { createKubernetesSink } from '@ecr-refresh/k8s';
import type { KubeApiServer, Moto } from '../peers/index.ts';
import {
  HOST,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  pullSecretsOf,
  readSecret,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

// In a pod the client finds the API server in these two variables and the ServiceAccount's
// token, CA and namespace under /var/run/secrets; here the files live under a temporary root.
describe('e2e: the built k8s sink in a pod (in-cluster ServiceAccount) against kube-apiserver', function () {
  this.timeout(60_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let root: string;
  const saved = {
    host: process.env.KUBERNETES_SERVICE_HOST,
    port: process.env.KUBERNETES_SERVICE_PORT,
  };

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    root = await mkdtemp(join(tmpdir(), 'ecr-refresh-pod-'));
    const server = new URL(kube.server);
    process.env.KUBERNETES_SERVICE_HOST = server.hostname;
    process.env.KUBERNETES_SERVICE_PORT = server.port;
  });
  after(async () => {
    for (const [name, value] of [
      ['KUBERNETES_SERVICE_HOST', saved.host],
      ['KUBERNETES_SERVICE_PORT', saved.port],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(root, { recursive: true, force: true });
  });

  it("serves the pod's own namespace with its ServiceAccount token, no kubeconfig at all", async () => {
    const namespace = uniqueName('pod');
    await createNamespaces(kube, [namespace], { pullSecrets: ['theirs'] });
    const token = await kube.createServiceAccountToken(namespace, 'ecr-refresh');
    const bound = await kube.request(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
      {
        metadata: { name: 'ecr-refresh-admin' },
        // cluster-admin in this namespace only: the permissions themselves are k8s-rbac.spec.ts's subject.
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ kind: 'ServiceAccount', name: 'ecr-refresh', namespace }],
      },
    );
    assert.equal(bound.status, 201);
    const accountDir = join(root, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    await mkdir(accountDir, { recursive: true });
    await Promise.all([
      writeFile(join(accountDir, 'token'), token),
      writeFile(join(accountDir, 'namespace'), namespace),
      copyFile(kube.caPath, join(accountDir, 'ca.crt')),
    ]);

    const sink = createKubernetesSink(
      {},
      {
        inClusterRoot: root,
        env: { HOME: root, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST },
      },
    );
    const tokenSource = createTokenSource({
      endpoint: moto.endpoint,
      credentials: async () => ({
        accessKeyId: 'AKIAFAKEFAKEFAKE0000',
        secretAccessKey: 'fake-secret-key-for-tests-only',
      }),
    });
    const report = await refresh({ registries: [parseRegistry(HOST)], sinks: [sink], tokenSource });
    assert.deepEqual(
      report.results.map(({ target, action }) => [target, action]),
      [[`in-cluster/${namespace}`, 'created']],
    );
    assert.ok(dockerConfigOf(await readSecret(kube, namespace)).auths[HOST]);
    assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
  });
});
