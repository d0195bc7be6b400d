import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useMoto, type Moto } from '../peers/index.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const LIBRARY_PACKAGES = ['core', 'k8s', 'rancher1'];

const ESM_CONSUMER = `
import { createDockerConfigSink, createTokenSource, parseRegistry, refresh } from '@ecr-refresh/core';
const report = await refresh({
  registries: [parseRegistry(process.argv[2])],
  tokenSource: createTokenSource({ endpoint: process.env.ECR_ENDPOINT }),
  sinks: [createDockerConfigSink({ path: process.argv[3] })],
});
process.stdout.write(JSON.stringify(report.totals));
`;

const TYPED_CONSUMER = `
import { createDockerConfigSink, createTokenSource, parseRegistry, refresh, type RefreshReport, type Sink, type TargetAction } from '@ecr-refresh/core';
const sink: Sink = createDockerConfigSink({ path: '/tmp/x/config.json' });
const report: RefreshReport = await refresh({ registries: [parseRegistry('123456789012:eu-west-1')], tokenSource: createTokenSource(), sinks: [sink] });
const action: TargetAction | undefined = report.results[0]?.action;
// @ts-expect-error: an unknown option is a type error for a consumer too
createTokenSource({ notAnOption: true });
export { action };
`;

/**
 * Packs the packages as npm would publish them, installs the tarballs into a project outside the
 * workspace (so nothing resolves through the workspace links) and uses them from there: the
 * exports map, the types and the declared dependencies are what this tests.
 */
describe('e2e: the published packages, installed outside the workspace', function () {
  this.timeout(300_000);
  let moto: Moto;
  let project: string;

  before(async () => {
    moto = await useMoto();
    project = await mkdtemp(join(tmpdir(), 'ecr-refresh-consumer-'));
    const tarballs: string[] = [];
    for (const name of [...LIBRARY_PACKAGES, 'cli']) {
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', project], {
        cwd: join(ROOT, 'packages', name),
      });
      tarballs.push(join(project, stdout.trim().split('\n').at(-1) ?? ''));
    }
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...tarballs,
        '@types/node@26',
      ],
      { cwd: project, maxBuffer: 16 * 2 ** 20 },
    );
  });
  after(async () => rm(project, { recursive: true, force: true }));

  it('refreshes a docker config from plain ESM importing @ecr-refresh/core', async () => {
    await writeFile(join(project, 'consumer.mjs'), ESM_CONSUMER);
    const configPath = join(project, 'docker', 'config.json');
    const { stdout } = await run(process.execPath, ['consumer.mjs', HOST, configPath], {
      cwd: project,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
        AWS_SECRET_ACCESS_KEY: 'fake-secret',
        AWS_REGION: 'eu-west-1',
        ECR_ENDPOINT: moto.endpoint,
      },
    });
    assert.deepEqual(JSON.parse(stdout), { created: 1, updated: 0, unchanged: 0, failed: 0 });
    assert.ok(JSON.parse(await readFile(configPath, 'utf8')).auths[HOST].auth);
  });

  it('type-checks a strict TypeScript consumer against the published declarations', async () => {
    await writeFile(join(project, 'consumer.ts'), TYPED_CONSUMER);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const failure = await run(tsc, ['-p', 'tsconfig.json'], { cwd: project }).then(
      () => undefined,
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    assert.equal(failure, undefined);
  });

  it('runs the installed ecr-refresh command, which needs nothing but its own package', async () => {
    const bin = join(project, 'node_modules', '.bin', 'ecr-refresh');
    const version = JSON.parse(
      await readFile(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8'),
    ).version as string;
    const { stdout } = await run(process.execPath, [bin, '--version'], { cwd: project });
    assert.equal(stdout.trim(), version);
    const cliManifest = JSON.parse(
      await readFile(join(project, 'node_modules', '@ecr-refresh', 'cli', 'package.json'), 'utf8'),
    );
    assert.equal(cliManifest.dependencies, undefined, 'the bundled CLI must not pull dependencies');
  });
});
