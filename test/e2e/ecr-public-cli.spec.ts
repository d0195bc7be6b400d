import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startEcrPublicStandIn,
  useCattle,
  useKube,
  useMoto,
  type Cattle,
  type EcrPublicStandIn,
  type KubeApiServer,
  type Moto,
} from '../peers/index.ts';
import { noteSecret } from '../support/leak-collector.ts';
import { DEAD_ENDPOINT, DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  pullSecretsOf,
  readSecret,
  uniqueName,
} from './k8s-helpers.ts';

const PUBLIC_HOST = 'public.ecr.aws';
const BUNDLE = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'dist', 'bundle');
// The stand-in accepts exactly the key pair the CLI runs with, and checks its signature.
const KEY = {
  accessKeyId: DUMMY_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: DUMMY_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};

/** The password inside an `auths` entry's `auth`. */
const passwordOf = (auth: string | undefined): string =>
  Buffer.from(auth ?? '', 'base64')
    .toString()
    .replace(/^AWS:/, '');

/** The bundle files a run loaded, as NODE_DEBUG_NATIVE=COMPILE_CACHE reports each ES module it reads. */
const loadedFiles = (stderr: string): Set<string> =>
  new Set(
    [...stderr.matchAll(/for ESM file:\/\/\S+\/([\w.~-]+\.js)/g)].map((match) => match[1] ?? ''),
  );

describe('e2e: ECR Public next to a private registry (moto and an ECR Public stand-in)', function () {
  this.timeout(120_000);
  let moto: Moto;
  let standIn: EcrPublicStandIn;
  let dir: string;

  before(async () => {
    moto = await useMoto();
  });
  beforeEach(async () => {
    await moto.reset();
    standIn = await startEcrPublicStandIn({
      ...KEY,
      password: (count) => `public-token-${count}-${Date.now()}`,
    });
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-public-'));
  });
  afterEach(async () => {
    await standIn.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoints = () => [
    '--endpoint-url',
    moto.endpoint,
    '--public-endpoint-url',
    standIn.endpoint,
  ];

  /** `docker-config` for `registries` into `path`, with the peers' endpoints unless `extra` names others. */
  const dockerConfig = (registries: string, path: string, ...extra: string[]) => [
    'docker-config',
    '-r',
    registries,
    '--docker-config',
    path,
    ...(extra.includes('--endpoint-url') ? [] : endpoints()),
    ...extra,
  ];

  /** Fails unless no password the stand-in issued appears in what the run printed, in any form. */
  function assertNoPublicSecret(run: CliRun): void {
    const printed = `${run.stdout}\n${run.stderr}`;
    for (const password of standIn.passwords) {
      noteSecret(password);
      for (const form of [password, Buffer.from(`AWS:${password}`).toString('base64')])
        assert.ok(!printed.includes(form), 'output holds an ECR Public token');
    }
  }

  describe('docker-config', () => {
    it('writes the private and the public credential into one config.json, with one signed ECR Public call', async () => {
      const configPath = join(dir, 'config.json');
      const run = await runCli(
        dockerConfig(`${HOST},${PUBLIC_HOST}`, configPath, '--output', 'json'),
        DUMMY_AWS_ENV,
      );
      assert.equal(run.status, 0, run.stderr);
      assertNoPublicSecret(run);
      const report = JSON.parse(run.stdout);
      assert.equal(report.ecrCalls, 2);
      // One file, one target.
      assert.deepEqual(
        report.results.map((result: { action: string }) => result.action),
        ['created'],
      );
      const config = JSON.parse(await readFile(configPath, 'utf8'));
      assert.deepEqual(Object.keys(config.auths).sort(), [HOST, PUBLIC_HOST].sort());
      assert.equal(passwordOf(config.auths[HOST].auth), MOTO_PASSWORD);
      assert.equal(config.auths[PUBLIC_HOST].username, 'AWS');
      assert.equal(passwordOf(config.auths[PUBLIC_HOST].auth), standIn.passwords[0]);
      assert.deepEqual(standIn.requests, [
        {
          target: 'SpencerFrontendService.GetAuthorizationToken',
          accessKeyId: KEY.accessKeyId,
          region: 'us-east-1',
          service: 'ecr-public',
          refused: undefined,
        },
      ]);
    });

    it('keeps a fresh public credential without calling ECR Public, and refreshes it when forced', async () => {
      const configPath = join(dir, 'config.json');
      assert.equal((await runCli(dockerConfig(PUBLIC_HOST, configPath), DUMMY_AWS_ENV)).status, 0);
      const before = await readFile(configPath, 'utf8');
      // Nothing listens on either endpoint: any call would fail the run.
      const fresh = await runCli(
        dockerConfig(
          PUBLIC_HOST,
          configPath,
          '--endpoint-url',
          DEAD_ENDPOINT,
          '--public-endpoint-url',
          DEAD_ENDPOINT,
          '--output',
          'json',
        ),
        DUMMY_AWS_ENV,
      );
      assert.equal(fresh.status, 0, fresh.stderr);
      assert.equal(JSON.parse(fresh.stdout).ecrCalls, 0);
      assert.equal(await readFile(configPath, 'utf8'), before);
      const forced = await runCli(
        dockerConfig(PUBLIC_HOST, configPath, '--force', '--output', 'json'),
        DUMMY_AWS_ENV,
      );
      assert.equal(JSON.parse(forced.stdout).results[0].action, 'updated');
      assert.equal(
        passwordOf(JSON.parse(await readFile(configPath, 'utf8')).auths[PUBLIC_HOST].auth),
        standIn.passwords[1],
      );
      assertNoPublicSecret(forced);
    });

    it('fails naming ECR Public, without the secret, when ECR Public refuses the signature', async () => {
      const configPath = join(dir, 'config.json');
      const env = { ...DUMMY_AWS_ENV, AWS_SECRET_ACCESS_KEY: 'not-the-key-the-stand-in-knows' };
      const run = await runCli(dockerConfig(`${HOST},${PUBLIC_HOST}`, configPath), env);
      assert.equal(standIn.requests[0]?.refused, 'InvalidSignatureException');
      assert.notEqual(run.status, 0);
      assert.match(
        run.stderr,
        /ECR Public \(http:\/\/127\.0\.0\.1:\d+\) rejected the AWS credentials/,
      );
      assert.doesNotMatch(run.stderr, /not-the-key-the-stand-in-knows/);
    });

    it('never loads the ECR Public client chunk in a run that serves only private registries', async () => {
      const chunks = await readdir(BUNDLE);
      const publicChunks = [];
      for (const file of chunks.filter((name) => name.endsWith('.js'))) {
        if ((await readFile(join(BUNDLE, file), 'utf8')).includes('SpencerFrontendService'))
          publicChunks.push(file);
      }
      assert.equal(
        publicChunks.length,
        1,
        `chunks with the ECR Public client: ${publicChunks.join(', ')}`,
      );
      const env = { ...DUMMY_AWS_ENV, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', HOME: dir };
      const privateRun = await runCli(dockerConfig(HOST, join(dir, 'private.json')), env);
      assert.equal(privateRun.status, 0, privateRun.stderr);
      const privateFiles = loadedFiles(privateRun.stderr);
      // The check can see chunks: the private run loaded the ECR client's.
      assert.ok(
        [...privateFiles].some((file) => file.startsWith('ecr-sdk-client-')),
        [...privateFiles].join(' '),
      );
      assert.equal(privateFiles.has(publicChunks[0] ?? ''), false);
      const publicRun = await runCli(dockerConfig(PUBLIC_HOST, join(dir, 'public.json')), env);
      assert.equal(publicRun.status, 0, publicRun.stderr);
      assert.equal(loadedFiles(publicRun.stderr).has(publicChunks[0] ?? ''), true);
    });
  });

  describe('k8s', () => {
    let kube: KubeApiServer;
    before(async () => {
      kube = await useKube();
    });

    it('writes one Secret holding the private and the public registry, referenced by the ServiceAccount', async () => {
      const namespace = uniqueName('public');
      await createNamespaces(kube, [namespace]);
      const run = await runCli(
        [
          'k8s',
          '-r',
          HOST,
          '-r',
          PUBLIC_HOST,
          ...endpoints(),
          '--kubeconfig',
          kube.kubeconfigPath,
          '-n',
          namespace,
          '--output',
          'json',
        ],
        DUMMY_AWS_ENV,
      );
      assert.equal(run.status, 0, run.stderr);
      assertNoPublicSecret(run);
      assert.equal(JSON.parse(run.stdout).ecrCalls, 2);
      const auths = dockerConfigOf(await readSecret(kube, namespace)).auths;
      assert.deepEqual(Object.keys(auths).sort(), [HOST, PUBLIC_HOST].sort());
      assert.equal(passwordOf(auths[HOST]?.auth), MOTO_PASSWORD);
      assert.equal(passwordOf(auths[PUBLIC_HOST]?.auth), standIn.passwords[0]);
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      assert.equal(standIn.requests.length, 1);
    });
  });

  describe('rancher1', () => {
    let cattle: Cattle;
    before(async function () {
      // The first use starts Cattle, which takes minutes on a busy machine.
      this.timeout(300_000);
      cattle = await useCattle();
    });

    it('creates a registry credential for each host in one environment, which pulls of either use', async () => {
      const environment = await cattle.createEnvironment(
        `public-${Math.random().toString(36).slice(2, 7)}`,
      );
      const env = {
        ...DUMMY_AWS_ENV,
        CATTLE_URL: `${cattle.origin}/v2-beta`,
        CATTLE_ACCESS_KEY: environment.key.accessKey,
        CATTLE_SECRET_KEY: environment.key.secretKey,
      };
      const run = await runCli(
        [
          'rancher1',
          '-r',
          HOST,
          '-r',
          PUBLIC_HOST,
          ...endpoints(),
          '--auto-create',
          '--output',
          'json',
        ],
        env,
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assertNoPublicSecret(run);
      const report = JSON.parse(run.stdout);
      assert.equal(report.ecrCalls, 2);
      assert.deepEqual(
        report.results.map((result: { action: string }) => result.action),
        ['created', 'created'],
      );
      assert.deepEqual(
        (await cattle.registries(environment.id)).map((registry) => registry.serverAddress).sort(),
        [HOST, PUBLIC_HOST].sort(),
      );
      await cattle.settledPull(environment.id, `${HOST}/payments/api:1.4.2`, MOTO_PASSWORD);
      await cattle.settledPull(
        environment.id,
        `${PUBLIC_HOST}/nginx/nginx:1.27`,
        standIn.passwords[0] ?? '',
      );
    });
  });
});
