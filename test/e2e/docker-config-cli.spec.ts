import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useMoto, type Moto } from '../peers/index.ts';
import { DEAD_ENDPOINT, DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import { recordCapture } from '../support/leak-collector.ts';

// moto answers GetAuthorizationToken with base64("AWS:<account>-auth-token").
const MOTO_PASSWORD = '123456789012-auth-token';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function assertNoSecret(run: CliRun, secrets: string[]): void {
  const printed = `${run.stdout}\n${run.stderr}`;
  for (const secret of secrets) {
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(`AWS:${secret}`).toString('base64'),
      encodeURIComponent(secret),
    ]) {
      assert.ok(!printed.includes(form), `printed output contains a secret (${form.length} chars)`);
    }
  }
}

describe('e2e: ecr-refresh docker-config against moto', function () {
  this.timeout(60_000);
  let moto: Moto;
  let dir: string;
  let configPath: string;

  before(async () => {
    moto = await useMoto();
  });
  beforeEach(async () => {
    await moto.reset();
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-e2e-'));
    configPath = join(dir, 'docker', 'config.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const refreshArgs = (...extra: string[]) => [
    'docker-config',
    '--registry',
    HOST,
    '--docker-config',
    configPath,
    '--endpoint-url',
    moto.endpoint,
    ...extra,
  ];

  it('writes a config.json with the ECR credential that the docker client reads without complaint', async () => {
    const run = await runCli(refreshArgs('--output', 'json'), DUMMY_AWS_ENV);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.results[0].action, 'created');
    assert.equal(report.ecrCalls, 1);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.equal(Buffer.from(config.auths[HOST].auth, 'base64').toString(), `AWS:${MOTO_PASSWORD}`);
    assert.equal((await stat(configPath)).mode & 0o777, 0o600);
    // The state file beside the config is not a credential store: it must hold no secret.
    recordCapture(
      'config.ecr-refresh-state.json',
      await readFile(join(dir, 'docker', 'config.ecr-refresh-state.json'), 'utf8'),
    );
    let docker: string;
    try {
      docker = execFileSync('docker', ['--config', join(dir, 'docker'), 'context', 'ls'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      assert.fail(`docker client failed on the written config: ${stderr}`);
    }
    assert.match(docker, /default/);
  });

  it('leaves the file unchanged, with no ECR call, on a second run within the half-life', async () => {
    assert.equal((await runCli(refreshArgs(), DUMMY_AWS_ENV)).status, 0);
    const before = await readFile(configPath, 'utf8');
    // Nothing listens on the endpoint of the second run: any ECR call would fail it.
    const run = await runCli(
      [
        'docker-config',
        '--registry',
        HOST,
        '--docker-config',
        configPath,
        '--endpoint-url',
        DEAD_ENDPOINT,
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.results[0].action, 'unchanged');
    assert.equal(report.ecrCalls, 0);
    assert.equal(await readFile(configPath, 'utf8'), before);
  });

  it("serves a region opened after this release, under its partition's DNS suffix", async () => {
    const run = await runCli(
      [
        'docker-config',
        '-r',
        '123456789012:ap-southwest-9',
        '--docker-config',
        configPath,
        '--endpoint-url',
        moto.endpoint,
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.deepEqual(Object.keys(config.auths), [
      '123456789012.dkr.ecr.ap-southwest-9.amazonaws.com',
    ]);
    assert.equal(
      Buffer.from(
        config.auths['123456789012.dkr.ecr.ap-southwest-9.amazonaws.com'].auth,
        'base64',
      ).toString(),
      `AWS:${MOTO_PASSWORD}`,
    );
  });

  it('refreshes a fresh file when forced', async () => {
    assert.equal((await runCli(refreshArgs(), DUMMY_AWS_ENV)).status, 0);
    const run = await runCli(refreshArgs('--force', '--output', 'json'), DUMMY_AWS_ENV);
    assert.equal(JSON.parse(run.stdout).results[0].action, 'updated');
  });

  it('keeps the entries of other registries and the credential helpers it finds', async () => {
    const theirs = {
      auths: { 'ghcr.io': { auth: 'Z2hjcjp4' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'pass',
    };
    await mkdir(join(dir, 'docker'));
    await writeFile(configPath, JSON.stringify(theirs));
    const run = await runCli(refreshArgs(), DUMMY_AWS_ENV);
    assert.equal(run.status, 0, run.stderr);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.deepEqual(config.auths['ghcr.io'], theirs.auths['ghcr.io']);
    assert.deepEqual(config.credHelpers, theirs.credHelpers);
    assert.equal(config.credsStore, 'pass');
    assert.ok(config.auths[HOST]);
  });

  it('with a wrong secret key: exit 2, a message naming the rejected credentials, and the file untouched', async () => {
    assert.equal((await runCli(refreshArgs(), DUMMY_AWS_ENV)).status, 0);
    const before = await readFile(configPath, 'utf8');
    const user = await moto.enableIamAuth();
    const wrongSecret = `${user.secretAccessKey.slice(0, -4)}XXXX`;
    const run = await runCli(refreshArgs('--force', '--log-format', 'json'), {
      AWS_ACCESS_KEY_ID: user.accessKeyId,
      AWS_SECRET_ACCESS_KEY: wrongSecret,
      AWS_REGION: 'eu-west-1',
    });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /ERR_AWS_AUTH: .*rejected the AWS credentials/);
    assert.equal(await readFile(configPath, 'utf8'), before);
    assertNoSecret(run, [wrongSecret, user.secretAccessKey]);
  });

  it('with the right key under IAM auth: the credential is written', async () => {
    const user = await moto.enableIamAuth();
    const run = await runCli(refreshArgs(), {
      AWS_ACCESS_KEY_ID: user.accessKeyId,
      AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
      AWS_REGION: 'eu-west-1',
    });
    assert.equal(run.status, 0, run.stderr);
    assertNoSecret(run, [user.secretAccessKey, MOTO_PASSWORD]);
  });

  it('rejects a bad --registry with exit 64, naming it, before any ECR call or write', async () => {
    const run = await runCli(
      [
        'docker-config',
        '--registry',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.co',
        '--docker-config',
        configPath,
        '--endpoint-url',
        DEAD_ENDPOINT,
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 64);
    assert.match(run.stderr, /invalid registry "123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.co"/);
    await assert.rejects(stat(configPath), { code: 'ENOENT' });
  });

  it('never prints the ECR password, even at trace level', async () => {
    const run = await runCli(
      refreshArgs('--log-level', 'trace', '--log-format', 'json', '--output', 'json'),
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /"level":"debug"/);
    assertNoSecret(run, [MOTO_PASSWORD, DUMMY_AWS_ENV.AWS_SECRET_ACCESS_KEY]);
  });

  it("accepts the blog post's AWS_ACCOUNT_NUMBER and AWS_DEFAULT_REGION in place of --registry", async () => {
    const run = await runCli(
      ['docker-config', '--docker-config', configPath, '--endpoint-url', moto.endpoint],
      {
        ...DUMMY_AWS_ENV,
        AWS_REGION: undefined,
        AWS_ACCOUNT_NUMBER: '123456789012',
        AWS_DEFAULT_REGION: 'eu-west-1',
        EMAIL: 'ops@example.com',
      },
    );
    assert.equal(run.status, 0, run.stderr);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.equal(config.auths[HOST].email, 'ops@example.com');
  });

  it('reads options from ECR_REFRESH_* variables and a YAML config file, and rejects unknown keys', async () => {
    const file = join(dir, 'ecr-refresh.yaml');
    await writeFile(file, `registries:\n  - ${HOST}\nendpoint-url: ${moto.endpoint}\n`);
    const ok = await runCli(['docker-config', '--config', file], {
      ...DUMMY_AWS_ENV,
      ECR_REFRESH_DOCKER_CONFIG: configPath,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(JSON.parse(await readFile(configPath, 'utf8')).auths[HOST]);
    await writeFile(file, `registries: [${HOST}]\nregoin: eu-west-1\n`);
    const bad = await runCli(['docker-config', '--config', file], DUMMY_AWS_ENV);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /regoin/);
  });

  it('prints the password for docker login --password-stdin with token --password-only', async () => {
    const run = await runCli(
      ['token', '--registry', HOST, '--endpoint-url', moto.endpoint, '--password-only'],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${MOTO_PASSWORD}\n`);
  });
});
