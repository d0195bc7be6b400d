import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useMoto, type Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV } from '../support/run-cli.ts';

const BIN = join(
  import.meta.dirname,
  '..',
  '..',
  'packages',
  'cli',
  'dist',
  'bundle',
  'ecr-refresh.js',
);
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

/** Runs the CLI with its standard output closed by the reader before anything is written (`| head -0`). */
function runWithClosedStdout(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('e2e: the CLI when its reader closes standard output early (`ecr-refresh … | head -0`)', function () {
  this.timeout(60_000);
  let moto: Moto;
  let dir: string;

  before(async () => {
    moto = await useMoto();
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-closed-output-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('finishes the refresh and exits 0 with no stack trace when its report cannot be written', async () => {
    const configPath = join(dir, 'config.json');
    const { status, stderr } = await runWithClosedStdout(
      [
        'docker-config',
        '-r',
        HOST,
        '--docker-config',
        configPath,
        '--endpoint-url',
        moto.endpoint,
        '--output',
        'json',
        '--log-level',
        'error',
      ],
      DUMMY_AWS_ENV,
    );
    assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /);
    assert.equal(status, 0);
    assert.ok(
      JSON.parse(await readFile(configPath, 'utf8')).auths[HOST],
      'the credentials were written',
    );
  });

  it('still reports bad input with exit 64 on standard error', async () => {
    const { status, stderr } = await runWithClosedStdout([
      'docker-config',
      '--registry',
      'not-a-registry',
    ]);
    assert.equal(status, 64);
    assert.match(stderr, /registry/);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  });
});
