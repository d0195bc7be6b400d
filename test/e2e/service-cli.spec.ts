import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, useMoto, type Moto } from '../peers/index.ts';
import {
  DUMMY_AWS_ENV,
  readEndpoint,
  runCli,
  startCli,
  type RunningCli,
} from '../support/run-cli.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

const get = readEndpoint;

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined as T);
    if (last !== undefined && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('e2e: ecr-refresh --watch (service mode)', function () {
  this.timeout(60_000);
  let moto: Moto;
  let dir: string;
  let service: RunningCli | undefined;

  before(async () => {
    moto = await useMoto();
  });
  beforeEach(async () => {
    await moto.reset();
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-service-'));
  });
  afterEach(async () => {
    service?.child.kill('SIGKILL');
    service = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function startService(env: Record<string, string | undefined>): Promise<string> {
    const port = await freePort();
    service = startCli(
      [
        'docker-config',
        '--watch',
        '--listen',
        `127.0.0.1:${port}`,
        '-r',
        HOST,
        '--docker-config',
        join(dir, 'config.json'),
        '--endpoint-url',
        moto.endpoint,
        '--log-format',
        'json',
      ],
      env,
    );
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      () => get(`${base}/healthz`),
      (response) => response.status === 200,
      '/healthz',
    );
    return base;
  }

  it('turns ready after the first refresh, exports metrics, and exits 0 on SIGTERM', async () => {
    const base = await startService(DUMMY_AWS_ENV);
    await eventually(
      () => get(`${base}/readyz`),
      (response) => response.status === 200,
      '/readyz 200',
    );
    const metrics = (await get(`${base}/metrics`)).body;
    assert.match(metrics, /^ecr_refresh_ecr_calls_total 1$/m);
    assert.match(
      metrics,
      new RegExp(
        `^ecr_refresh_credential_expiry_timestamp_seconds\\{host="${HOST.replaceAll('.', '\\.')}"\\} \\d+`,
        'm',
      ),
    );
    assert.match(
      metrics,
      /^ecr_refresh_target_results_total\{sink="docker-config",action="created",cluster=""\} 1$/m,
    );
    assert.doesNotMatch(
      metrics,
      /^ecr_refresh_cluster_last_success_timestamp_seconds\{/m,
      'no cluster, no per-cluster series',
    );
    service?.child.kill('SIGTERM');
    const run = await service?.exited;
    assert.equal(run?.status, 0, run?.stderr ?? 'no output');
    assert.match(run?.stderr ?? '', /"msg":"stopped"/);
  });

  it('keeps running and reports unready while AWS rejects its key, then stops cleanly', async () => {
    const user = await moto.enableIamAuth();
    const base = await startService({
      AWS_ACCESS_KEY_ID: user.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'wrong-secret-key-0000000000000000000000',
      AWS_REGION: 'eu-west-1',
    });
    const unready = await eventually(
      () => get(`${base}/readyz`),
      (response) => response.status === 503 && /failed/.test(response.body),
      '/readyz 503',
    );
    assert.match(unready.body, /first refresh failed/);
    assert.match(
      (await get(`${base}/metrics`)).body,
      /^ecr_refresh_failures_total\{code="ERR_AWS_AUTH",cluster=""\} [1-9]/m,
    );
    assert.equal(service?.child.exitCode, null, 'the service must not exit on a failed refresh');
    service?.child.kill('SIGTERM');
    assert.equal((await service?.exited)?.status, 0);
  });

  it('exits 64 at once on a configuration problem found at start', async () => {
    const run = await runCli(
      [
        'docker-config',
        '--watch',
        '--listen',
        'localhost:99999',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
      ],
      DUMMY_AWS_ENV,
      10_000,
    );
    assert.equal(run.status, 64);
    assert.match(run.stderr, /listen: "localhost:99999" is not host:port/);
  });
});
