import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startRancherProxy,
  useTinyproxy,
  type KubeApiServer,
  type Moto,
  type Tinyproxy,
} from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import {
  HOST,
  SECRET,
  createNamespaces,
  pullSecretsOf,
  readSecret,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

// A Rancher-generated kubeconfig points at Rancher's proxy for the cluster, /k8s/clusters/<id>.
const RANCHER_CLUSTER = 'c-m-4xk2p9qz';
const RANCHER_USER = { id: 'u-k8sconn' };

describe('e2e: ecr-refresh k8s connections (Rancher-style kubeconfig, proxies)', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  it('works through a kubeconfig with a bearer token and a server URL with a path prefix', async () => {
    const namespace = uniqueName('rancher');
    await createNamespaces(kube, [namespace]);
    const bound = await kube.request(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
      {
        metadata: { name: `${RANCHER_USER.id}-admin` },
        // cluster-admin, bound in one namespace only: `edit` is aggregated, and no controller fills it in here.
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ kind: 'User', name: RANCHER_USER.id }],
      },
    );
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const proxy = await startRancherProxy(kube, { clusterIds: [RANCHER_CLUSTER] });
    try {
      const config = JSON.parse(
        await readFile(
          await kube.kubeconfigForToken(proxy.issueToken(RANCHER_USER), namespace),
          'utf8',
        ),
      );
      config.clusters[0].cluster.server = proxy.serverFor(RANCHER_CLUSTER);
      const path = join(kube.dir, `${uniqueName('rancher')}.kubeconfig`);
      await writeFile(path, JSON.stringify(config), { mode: 0o600 });
      const run = await runCli(
        [
          'k8s',
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          path,
          '--output',
          'json',
        ],
        DUMMY_AWS_ENV,
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), { created: [`ecr-refresh-test/${namespace}`] });
      assert.ok(await readSecret(kube, namespace));
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      assert.ok(proxy.forwarded.length >= 3, JSON.stringify(proxy.forwarded));
      assert.deepEqual(proxy.refused, []);
    } finally {
      await proxy.stop();
    }
  });

  describe('through an HTTP proxy', () => {
    let tinyproxy: Tinyproxy;
    before(async () => {
      tinyproxy = await useTinyproxy();
    });
    const apiTunnel = () => `CONNECT ${new URL(kube.server).host}`;
    const tunnels = async () =>
      (await tinyproxy.accessLog()).split('\n').filter((line) => line.includes(apiTunnel())).length;

    it('honours HTTPS_PROXY, and NO_PROXY excludes the API server again', async () => {
      const namespace = uniqueName('env-proxy');
      await createNamespaces(kube, [namespace]);
      const before = await tunnels();
      const run = await runCli(
        [
          'k8s',
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          kube.kubeconfigPath,
          '-n',
          namespace,
        ],
        { ...DUMMY_AWS_ENV, HTTPS_PROXY: tinyproxy.url },
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const through = await tunnels();
      assert.ok(through > before, 'no CONNECT to the API server went through the proxy');
      const direct = await runCli(
        [
          'k8s',
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          kube.kubeconfigPath,
          '-n',
          namespace,
          '--force',
        ],
        { ...DUMMY_AWS_ENV, HTTPS_PROXY: tinyproxy.url, NO_PROXY: '127.0.0.1' },
      );
      assert.equal(direct.status, 0, direct.stdout + direct.stderr);
      assert.equal(await tunnels(), through);
    });

    it("honours the kubeconfig cluster's proxy-url", async () => {
      const namespace = uniqueName('kubeconfig-proxy');
      await createNamespaces(kube, [namespace]);
      const config = JSON.parse(await readFile(kube.kubeconfigPath, 'utf8'));
      config.clusters[0].cluster['proxy-url'] = tinyproxy.url;
      const path = join(kube.dir, `${uniqueName('proxied')}.kubeconfig`);
      await writeFile(path, JSON.stringify(config), { mode: 0o600 });
      const before = await tunnels();
      const run = await runCli(
        ['k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', path, '-n', namespace],
        DUMMY_AWS_ENV,
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.ok((await tunnels()) > before, 'no CONNECT to the API server went through the proxy');
    });
  });
});
