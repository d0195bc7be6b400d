import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { useTinyproxy, type KubeApiServer, type Moto, type Tinyproxy } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import { HOST, SECRET, createNamespaces, pullSecretsOf, readSecret, targetsByAction, uniqueName, useKubeAndMoto } from './k8s-helpers.ts';

// A Rancher-generated kubeconfig points at Rancher's proxy for the cluster, under this kind of path.
const RANCHER_PREFIX = '/k8s/clusters/c-m-4xk2p9qz';

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
    const token = await kube.createServiceAccountToken(namespace, 'rancher-user');
    const bound = await kube.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
      metadata: { name: 'rancher-user-admin' },
      // cluster-admin, bound in one namespace only: `edit` is aggregated, and no controller fills it in here.
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'rancher-user', namespace }],
    });
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const proxy = await startPrefixProxy(kube, RANCHER_PREFIX);
    try {
      const config = JSON.parse(await readFile(await kube.kubeconfigForToken(token, namespace), 'utf8'));
      config.clusters[0].cluster.server = `${proxy.url}${RANCHER_PREFIX}`;
      const path = join(kube.dir, `${uniqueName('rancher')}.kubeconfig`);
      await writeFile(path, JSON.stringify(config), { mode: 0o600 });
      const run = await runCli(['k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', path, '--output', 'json'], DUMMY_AWS_ENV);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), { created: [`ecr-refresh-test/${namespace}`] });
      assert.ok(await readSecret(kube, namespace));
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      assert.ok(proxy.forwarded.length >= 3, proxy.forwarded.join('\n'));
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
    const tunnels = async () => (await tinyproxy.accessLog()).split('\n').filter((line) => line.includes(apiTunnel())).length;

    it('honours HTTPS_PROXY, and NO_PROXY excludes the API server again', async () => {
      const namespace = uniqueName('env-proxy');
      await createNamespaces(kube, [namespace]);
      const before = await tunnels();
      const run = await runCli(['k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', kube.kubeconfigPath, '-n', namespace], { ...DUMMY_AWS_ENV, HTTPS_PROXY: tinyproxy.url });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const through = await tunnels();
      assert.ok(through > before, 'no CONNECT to the API server went through the proxy');
      const direct = await runCli(['k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', kube.kubeconfigPath, '-n', namespace, '--force'], { ...DUMMY_AWS_ENV, HTTPS_PROXY: tinyproxy.url, NO_PROXY: '127.0.0.1' });
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
      const run = await runCli(['k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', path, '-n', namespace], DUMMY_AWS_ENV);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.ok((await tunnels()) > before, 'no CONNECT to the API server went through the proxy');
    });
  });
});

interface PrefixProxy {
  url: string;
  /** Paths forwarded (prefix removed). */
  forwarded: string[];
  /** Paths refused because they lacked the prefix. */
  refused: string[];
  stop(): Promise<void>;
}

/**
 * A TLS reverse proxy on loopback that serves the API server under `prefix`, as Rancher's
 * cluster proxy does; requests outside the prefix get 404. Uses the API server's own serving
 * certificate (valid for 127.0.0.1) and passes the Authorization header through.
 */
async function startPrefixProxy(kube: KubeApiServer, prefix: string): Promise<PrefixProxy> {
  const [cert, key, ca] = await Promise.all([readFile(join(kube.dir, 'apiserver.crt')), readFile(join(kube.dir, 'apiserver.key')), readFile(kube.caPath)]);
  const forwarded: string[] = [];
  const refused: string[] = [];
  const upstream = new URL(kube.server);
  const server: Server = createServer({ cert, key }, (incoming, outgoing) => {
    const path = incoming.url ?? '/';
    if (!path.startsWith(`${prefix}/`)) {
      refused.push(path);
      outgoing.writeHead(404).end();
      return;
    }
    const stripped = path.slice(prefix.length);
    forwarded.push(`${incoming.method} ${stripped}`);
    const headers = { ...incoming.headers, host: upstream.host };
    const proxied = request({ hostname: upstream.hostname, port: upstream.port, path: stripped, method: incoming.method, headers, ca }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    proxied.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    forwarded,
    refused,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
