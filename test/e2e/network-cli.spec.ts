import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useMoto, useTinyproxy, type Moto, type Tinyproxy } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

/** A loopback server that accepts connections and never answers: a black hole. */
async function startBlackHole(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('e2e: ecr-refresh through proxies and against silent endpoints', function () {
  this.timeout(90_000);
  let moto: Moto;
  let proxy: Tinyproxy;
  let dir: string;

  before(async () => {
    [moto, proxy] = await Promise.all([useMoto(), useTinyproxy()]);
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-net-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const args = () => [
    'docker-config',
    '-r',
    HOST,
    '--docker-config',
    join(dir, 'config.json'),
    '--endpoint-url',
    moto.endpoint,
    '--force',
  ];
  const motoAuthority = () => new URL(moto.endpoint).host;
  const proxiedRequests = async () =>
    (await proxy.accessLog()).split('\n').filter((line) => line.includes(motoAuthority())).length;

  it('sends ECR calls through the proxy that HTTP_PROXY / HTTPS_PROXY name', async () => {
    const before = await proxiedRequests();
    const run = await runCli(args(), {
      ...DUMMY_AWS_ENV,
      HTTP_PROXY: proxy.url,
      HTTPS_PROXY: proxy.url,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.ok((await proxiedRequests()) > before, 'tinyproxy logged no request to moto');
  });

  it('goes direct for a host that NO_PROXY lists', async () => {
    const before = await proxiedRequests();
    const run = await runCli(args(), {
      ...DUMMY_AWS_ENV,
      HTTP_PROXY: proxy.url,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(await proxiedRequests(), before);
  });

  it('gives up on an endpoint that never answers within the timeout and retries, with exit 2', async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      const run = await runCli(
        [
          'docker-config',
          '-r',
          HOST,
          '--docker-config',
          join(dir, 'config.json'),
          '--endpoint-url',
          hole.endpoint,
          '--timeout',
          '1',
        ],
        DUMMY_AWS_ENV,
        60_000,
      );
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.status, 2, run.stdout + run.stderr);
      assert.match(run.stdout, /ERR_ECR_UNAVAILABLE/);
      // 4 attempts of at most 1 s each plus backoff: far below a minute, never a hang.
      assert.ok(seconds < 30, `took ${seconds} s`);
    } finally {
      await hole.close();
    }
  });
});
