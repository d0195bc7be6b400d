import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createKubePki, type KubePki } from '../../../../test/peers/kube/pki.ts';
import { KubernetesApiError } from '../errors.ts';
import { connectClusters } from '../kube-config.ts';

/**
 * The whole stack, kubeconfig to socket, against a local HTTPS server that asks for a client
 * certificate: what the API server's TLS checks would see.
 */
describe('k8s/transport over HTTPS, from a kubeconfig', function () {
  this.timeout(30_000);
  let dir: string;
  let pki: KubePki;
  let server: Server;
  let url: string;
  let connections = 0;
  const clients: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-https-'));
    pki = await createKubePki(dir);
    const [key, cert, ca] = await Promise.all(
      [pki.serverKeyPath, pki.serverCertPath, pki.caPath].map((path) => readFile(path)),
    );
    server = createServer(
      { key, cert, ca, requestCert: true, rejectUnauthorized: false },
      (request, response) => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        clients.push(String(peer.subject?.CN ?? '(none)'));
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ items: [{ metadata: { name: 'team-a' } }], metadata: {} }));
      },
    );
    server.on('secureConnection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  async function kubeconfig(cluster: Record<string, unknown>): Promise<string> {
    const path = join(dir, 'kubeconfig');
    await writeFile(
      path,
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: url, ...cluster } }],
        users: [
          { name: 'u', user: { 'client-certificate': 'admin.crt', 'client-key': 'admin.key' } },
        ],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    return path;
  }

  it('trusts the CA file, presents the client certificate and keeps one connection for many requests', async () => {
    const [connection] = connectClusters({
      kubeconfig: await kubeconfig({ 'certificate-authority': 'ca.crt' }),
      env: {},
    });
    const before = connections;
    clients.length = 0;
    for (let index = 0; index < 5; index += 1)
      assert.deepEqual(
        (await connection?.api.listNamespaces())?.map((namespace) => namespace.name),
        ['team-a'],
      );
    assert.deepEqual(clients, Array(5).fill('admin'));
    assert.equal(connections - before, 1);
  });

  it('trusts CA data as well, and checks the certificate against tls-server-name', async () => {
    const ca = (await readFile(pki.caPath)).toString('base64');
    const [trusted] = connectClusters({
      kubeconfig: await kubeconfig({
        'certificate-authority-data': ca,
        'tls-server-name': 'localhost',
      }),
      env: {},
    });
    assert.equal((await trusted?.api.listNamespaces())?.length, 1);
    const [misnamed] = connectClusters({
      kubeconfig: await kubeconfig({
        'certificate-authority-data': ca,
        'tls-server-name': 'elsewhere.example',
      }),
      env: {},
    });
    const error = await misnamed?.api.listNamespaces().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof KubernetesApiError);
    assert.match(
      error.message,
      /does not match certificate's altnames.*: the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/,
    );
  });

  it('refuses a server whose CA it was not given, saying where the CA goes', async () => {
    const [connection] = connectClusters({ kubeconfig: await kubeconfig({}), env: {} });
    const error = await connection?.api.listNamespaces().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof KubernetesApiError);
    assert.match(
      error.message,
      /^GET \/api\/v1\/namespaces: no answer from the API server \(.*certificate.*\): the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted: give its CA as certificate-authority-data/,
    );
  });

  it('skips the check only when insecure-skip-tls-verify says so', async () => {
    const [connection] = connectClusters({
      kubeconfig: await kubeconfig({ 'insecure-skip-tls-verify': true }),
      env: {},
    });
    assert.equal((await connection?.api.listNamespaces())?.length, 1);
  });
});
