import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { useMoto, type Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV } from '../support/run-cli.ts';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (
  JSON.parse(await readFile(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command as a user would type it; resolves with its status, never rejects. */
async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<Run> {
  // The PATH of the user's shell: the Node.js that runs this suite first (the project's pinned one).
  const env = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
    ...options.env,
  };
  return execFileAsync(command, args, {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number | string; stdout?: string; stderr?: string }) => ({
      status: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
    }),
  );
}

/** The README's ways to run the CLI from a clone, run exactly as it shows them. */
describe('e2e: running ecr-refresh from the checkout (README "Install")', function () {
  this.timeout(180_000);

  it('npm run -s cli -- --version and --help: the CLI of this checkout, exit 0, nothing else on standard output', async () => {
    const version = await run('npm', ['run', '-s', 'cli', '--', '--version'], { cwd: ROOT });
    assert.deepEqual(version, { status: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await run('npm', ['run', '-s', 'cli', '--', '--help'], { cwd: ROOT });
    assert.equal(help.status, 0, help.stderr);
    for (const command of ['docker-config', 'token', 'k8s', 'rancher1', 'rancher2'])
      assert.match(help.stdout, new RegExp(`ecr-refresh ${command}`));
  });

  it('npm run -s cli passes the exit status through (64 for bad input)', async () => {
    const bad = await run(
      'npm',
      ['run', '-s', 'cli', '--', 'docker-config', '--registry', 'not-a-registry'],
      { cwd: ROOT },
    );
    assert.equal(bad.status, 64, bad.stderr);
  });

  describe('with moto', () => {
    let moto: Moto;
    let dir: string;
    before(async () => {
      moto = await useMoto();
    });
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-clone-'));
    });
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    it("npm --prefix <clone> run -s cli from another directory: relative paths are the caller's", async () => {
      const result = await run(
        'npm',
        [
          '--prefix',
          ROOT,
          'run',
          '-s',
          'cli',
          '--',
          'docker-config',
          '-r',
          HOST,
          '--docker-config',
          'docker/config.json',
          '--endpoint-url',
          moto.endpoint,
        ],
        {
          cwd: dir,
          env: DUMMY_AWS_ENV,
        },
      );
      assert.equal(result.status, 0, result.stderr);
      const config = JSON.parse(await readFile(join(dir, 'docker', 'config.json'), 'utf8')) as {
        auths: Record<string, unknown>;
      };
      assert.ok(config.auths[HOST]);
    });
  });

  it('npm link -w @ecr-refresh/cli puts ecr-refresh on the PATH (here: into a scratch global prefix)', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'ecr-refresh-prefix-'));
    try {
      const env = { npm_config_prefix: prefix };
      const link = await run('npm', ['link', '-w', '@ecr-refresh/cli', '--no-audit', '--no-fund'], {
        cwd: ROOT,
        env,
      });
      assert.equal(link.status, 0, link.stderr);
      const linked = await run('ecr-refresh', ['--version'], {
        cwd: prefix,
        env: {
          PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        },
      });
      assert.deepEqual(linked, { status: 0, stdout: `${VERSION}\n`, stderr: '' });
      const unlink = await run('npm', ['unlink', '-g', '@ecr-refresh/cli'], { cwd: ROOT, env });
      assert.equal(unlink.status, 0, unlink.stderr);
      assert.equal(
        (
          await run('ecr-refresh', ['--version'], {
            cwd: prefix,
            env: { PATH: join(prefix, 'bin') },
          })
        ).status,
        -1,
      );
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });
});
