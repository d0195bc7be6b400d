import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFaultProxy,
  useMoto,
  type Fault,
  type FaultProxy,
  type Moto,
} from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const ECR_CALL = /^\/$/;

describe('e2e: ecr-refresh against a failing ECR (fault proxy in front of moto)', function () {
  this.timeout(90_000);
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let configPath: string;

  before(async () => {
    moto = await useMoto();
    proxy = await startFaultProxy(moto.endpoint);
  });
  after(async () => proxy.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-faults-'));
    configPath = join(dir, 'config.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const refresh = () =>
    runCli(
      [
        'docker-config',
        '-r',
        HOST,
        '--docker-config',
        configPath,
        '--endpoint-url',
        proxy.url,
        '--timeout',
        '2',
        '--log-format',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
  const ecrAttempts = (from: number) =>
    proxy.requests.slice(from).filter((request) => ECR_CALL.test(request.path)).length;

  const transient: Array<[name: string, faults: Fault[]]> = [
    [
      'two 503s',
      [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
    ],
    ['a 429 with Retry-After', [{ kind: 'status', status: 429, retryAfterSeconds: 1 }]],
    ['a 500', [{ kind: 'status', status: 500 }]],
    ['a reset connection', [{ kind: 'reset' }]],
    ['a response cut in half', [{ kind: 'truncate' }]],
    ['a slow answer within the timeout', [{ kind: 'delay', ms: 1000 }]],
  ];
  for (const [name, faults] of transient) {
    it(`succeeds after ${name}, with the retries in the log`, async () => {
      const seen = proxy.requests.length;
      proxy.plan(faults, { matching: ECR_CALL });
      const run = await refresh();
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.ok(JSON.parse(await readFile(configPath, 'utf8')).auths[HOST]);
      const attempts = ecrAttempts(seen);
      if (faults[0]?.kind !== 'delay') {
        assert.equal(attempts, faults.length + 1);
        assert.match(run.stderr, new RegExp(`"attempts":${attempts}`));
      }
    });
  }

  it('ends a persistent 503 with exit 2 in bounded time, leaving the file as it was', async () => {
    await writeFile(configPath, '{"auths":{"ghcr.io":{"auth":"eDp5"}}}');
    const seen = proxy.requests.length;
    proxy.plan([], { afterwards: { kind: 'status', status: 503 }, matching: ECR_CALL });
    const started = Date.now();
    const run = await refresh();
    proxy.plan([]);
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /ERR_ECR_UNAVAILABLE/);
    assert.equal(ecrAttempts(seen), 4);
    assert.ok(Date.now() - started < 30_000);
    assert.equal(await readFile(configPath, 'utf8'), '{"auths":{"ghcr.io":{"auth":"eDp5"}}}');
  });

  it('ends a black hole with exit 2 after the timeout of each attempt', async () => {
    proxy.plan([], { afterwards: { kind: 'blackhole' }, matching: ECR_CALL });
    const started = Date.now();
    const run = await refresh();
    proxy.plan([]);
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /did not answer in time/);
    assert.ok(Date.now() - started < 30_000);
  });
});
