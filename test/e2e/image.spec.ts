import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, cliVersion, type BuiltImage } from '../../deploy/image/build.ts';
import { podman, podmanUnavailableReason, type PodmanRun } from '../../deploy/image/podman.ts';
import {
  freePort,
  startPodIdentityAgent,
  useKube,
  useMoto,
  type KubeApiServer,
  type Moto,
  type PodIdentityAgent,
} from '../peers/index.ts';
import { writeKubeconfig } from '../peers/kube/kubeconfig.ts';
import { waitUntil } from '../peers/wait-until.ts';
import { DUMMY_AWS_ENV } from '../support/run-cli.ts';
import * as eks from './eks-auth-helpers.ts';
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

// What the manifests in deploy/ declare for the container: read-only root filesystem, a numeric
// non-root user, no capabilities, no privilege gain. Stricter still: no writable /tmp (podman would
// add a tmpfs, the manifests an emptyDir): the CLI must not need one. Host networking reaches the
// peers on loopback.
const HARDENED = [
  '--read-only',
  '--read-only-tmpfs=false',
  '--user',
  '65532:65532',
  '--cap-drop=ALL',
  '--security-opt',
  'no-new-privileges',
  '--network',
  'host',
];
const TAG = `localhost/ecr-refresh-e2e/ecr-refresh:test-${process.pid}`;
const RUN_TIMEOUT_MS = 60_000;

describe('e2e: the container image, run with podman as users run it', function () {
  this.timeout(120_000);
  let image: BuiltImage | undefined;
  let moto: Moto;
  let dir: string;
  const containers: string[] = [];
  let containersStarted = 0;

  before(async function () {
    // Cold: about a minute of debootstrap, then the image build (npm ci + build in the build stage).
    this.timeout(20 * 60_000);
    const unavailable = await podmanUnavailableReason();
    if (unavailable !== undefined) {
      process.stderr.write(`image tests skipped: ${unavailable}\n`);
      this.skip();
    }
    image = await buildImage({ tag: TAG, showProgress: false });
    moto = await useMoto();
  });
  after(async () => {
    if (image !== undefined) await podman(['rmi', '--force', TAG], { timeoutMs: RUN_TIMEOUT_MS });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-image-'));
    // The container's user (65532) writes here, as it would in a volume the pod owns.
    await chmod(dir, 0o777);
  });
  afterEach(async () => {
    for (const name of containers.splice(0))
      await podman(['rm', '--force', '--ignore', name], { timeoutMs: RUN_TIMEOUT_MS });
    await rm(dir, { recursive: true, force: true });
  });

  /** A container name of this run, removed after the test even if the test ends early. */
  function containerName(): string {
    containersStarted += 1;
    const name = `ecr-refresh-e2e-${process.pid}-${containersStarted}`;
    containers.push(name);
    return name;
  }

  /** `podman run` of the image with the hardened settings; `podmanArgs` go before the image. */
  function runImage(
    args: readonly string[],
    podmanArgs: readonly string[] = [],
  ): Promise<PodmanRun> {
    return podman(
      ['run', '--rm', '--name', containerName(), ...HARDENED, ...podmanArgs, TAG, ...args],
      { timeoutMs: RUN_TIMEOUT_MS },
    );
  }

  const awsEnv = (): string[] =>
    Object.entries(DUMMY_AWS_ENV).flatMap(([key, value]) => ['--env', `${key}=${value}`]);

  it('prints the version of packages/cli/package.json with --version', async () => {
    const run = await runImage(['--version']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), await cliVersion());
  });

  it('prints usage naming every command with --help, and with no arguments at all', async () => {
    for (const args of [['--help'], []]) {
      const run = await runImage(args);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /ecr-refresh <command> \[options\]/);
      for (const command of ['docker-config', 'k8s', 'token'])
        assert.match(run.stdout, new RegExp(`ecr-refresh ${command}`));
    }
  });

  it('runs as user 65532 by default, with an exec-form entrypoint, and carries the OCI source, version and licence labels', async () => {
    const run = await podman([
      'run',
      '--rm',
      '--name',
      containerName(),
      '--read-only',
      '--entrypoint',
      'node',
      TAG,
      '-e',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the container's node evaluates this template
      'process.stdout.write(`${process.getuid()}:${process.getgid()}`)',
    ]);
    assert.equal(run.stdout, '65532:65532', run.stderr);
    // Exec form: the container starts node itself, no shell in between.
    assert.deepEqual(
      JSON.parse(
        (await podman(['image', 'inspect', '--format', '{{json .Config.Entrypoint}}', TAG])).stdout,
      ),
      ['node', '/app/dist/bundle/ecr-refresh.js'],
    );
    const labels = JSON.parse(
      (await podman(['image', 'inspect', '--format', '{{json .Labels}}', TAG])).stdout,
    ) as Record<string, string>;
    assert.equal(labels['org.opencontainers.image.version'], await cliVersion());
    assert.equal(labels['org.opencontainers.image.licenses'], 'Apache-2.0');
    assert.match(labels['org.opencontainers.image.source'] ?? '', /^https:\/\/.+\/ecr-refresh$/);
  });

  it('writes the ECR credential into a mounted docker config directory (one-shot, against moto)', async () => {
    await moto.reset();
    const run = await runImage(
      ['docker-config', '--registry', HOST, '--endpoint-url', moto.endpoint, '--output', 'json'],
      ['--volume', `${dir}:/docker`, '--env', 'DOCKER_CONFIG=/docker', ...awsEnv()],
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).results[0].action, 'created');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    assert.equal(Buffer.from(config.auths[HOST].auth, 'base64').toString(), `AWS:${MOTO_PASSWORD}`);
  });

  describe('EKS authentication, with no static key in the container', () => {
    let agent: PodIdentityAgent | undefined;
    before(eks.noteEksPassword);
    afterEach(async () => {
      await agent?.stop();
      agent = undefined;
      await moto.reset();
    });

    /** A read-only volume holding `token` at `containerDir`, as EKS projects it; returns the podman arguments. */
    async function projectedToken(token: string, containerDir: string): Promise<string[]> {
      const tokenDir = join(dir, 'token');
      await mkdir(tokenDir);
      await writeFile(join(tokenDir, 'token'), token, { mode: 0o644 });
      return ['--volume', `${tokenDir}:${containerDir}:ro`];
    }

    /** `docker-config` for the role's registry with only `env` for AWS (plus the region). */
    async function refreshWith(env: Record<string, string>, volumes: string[]): Promise<PodmanRun> {
      for (const name of eks.STATIC_KEYS)
        assert.equal(env[name], undefined, `${name} must not be set`);
      const variables = Object.entries({ ...env, AWS_REGION: 'eu-west-1' }).flatMap(
        ([key, value]) => ['--env', `${key}=${value}`],
      );
      return runImage(
        [
          'docker-config',
          '--registry',
          eks.EKS_HOST,
          '--endpoint-url',
          moto.endpoint,
          '--output',
          'json',
        ],
        ['--volume', `${dir}:/docker`, '--env', 'DOCKER_CONFIG=/docker', ...volumes, ...variables],
      );
    }

    async function writtenPassword(): Promise<string | undefined> {
      return JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).auths[eks.EKS_HOST]
        ?.password;
    }

    it('IRSA: AWS_ROLE_ARN and the projected token, exchanged with STS AssumeRoleWithWebIdentity', async () => {
      await moto.reset();
      const roleArn = await eks.createIrsaRole(moto);
      const volumes = await projectedToken(
        eks.serviceAccountToken('sts.amazonaws.com'),
        eks.IRSA_TOKEN_DIR,
      );
      // The web identity call is unsigned by design: it alone passes unchecked; the ECR call is checked.
      await moto.checkAuthAfter(1);
      const env = {
        AWS_ROLE_ARN: roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: `${eks.IRSA_TOKEN_DIR}/token`,
        AWS_ENDPOINT_URL_STS: moto.endpoint,
      };
      const run = await refreshWith(env, volumes);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(await writtenPassword(), eks.EKS_PASSWORD);
    });

    it('EKS Pod Identity: credentials from the agent (a loopback stand-in) for the projected token', async () => {
      await moto.reset();
      const token = eks.serviceAccountToken('pods.eks.amazonaws.com');
      const volumes = await projectedToken(token, eks.POD_IDENTITY_TOKEN_DIR);
      agent = await startPodIdentityAgent(
        join(dir, 'token', 'token'),
        await eks.podIdentityCredentials(moto),
      );
      await moto.checkAuthAfter(0);
      const env = {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: `${eks.POD_IDENTITY_TOKEN_DIR}/token`,
      };
      const run = await refreshWith(env, volumes);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(await writtenPassword(), eks.EKS_PASSWORD);
      assert.deepEqual(agent.requests, [{ path: '/v1/credentials', status: 200 }]);
    });
  });

  it('compiles every file a run loads from the compile cache baked into the image, read-only, under the hardened settings', async () => {
    await moto.reset();
    const debug = ['--env', 'NODE_DEBUG_NATIVE=COMPILE_CACHE'];
    const runs = [
      await runImage(['--help'], debug),
      await runImage(
        ['docker-config', '--registry', HOST, '--endpoint-url', moto.endpoint],
        ['--volume', `${dir}:/docker`, '--env', 'DOCKER_CONFIG=/docker', ...awsEnv(), ...debug],
      ),
    ];
    for (const run of runs) {
      assert.equal(run.status, 0, run.stderr);
      assert.match(
        run.stderr,
        /read-only cache directory \/app\/compile-cache\/v[\w.-]+-65532\.\.\.found/,
      );
      const lookups = [
        ...run.stderr.matchAll(
          /reading cache from \S+ for ESM file:\/\/\/app\/dist\/bundle\/([\w.-]+\.js)\.\.\./g,
        ),
      ].map((match) => match[1]);
      const hits = [
        ...run.stderr.matchAll(
          /V8 code cache for ESM file:\/\/\/app\/dist\/bundle\/([\w.-]+\.js) was accepted/g,
        ),
      ].map((match) => match[1]);
      assert.ok(lookups.includes('ecr-refresh.js'), run.stderr);
      assert.deepEqual(hits, lookups);
    }
    // The one-shot loads the command, the SDK and the sink: many more files than --help.
    assert.ok(
      (runs[1]?.stderr.match(/was accepted/g)?.length ?? 0) >
        10 + (runs[0]?.stderr.match(/was accepted/g)?.length ?? 0),
    );
  });

  describe('k8s', () => {
    let kube: KubeApiServer;
    before(async () => {
      kube = await useKube();
    });

    it('creates the Secret and references it from the ServiceAccount through a mounted kubeconfig', async () => {
      await moto.reset();
      const namespace = uniqueName('image');
      await createNamespaces(kube, [namespace]);
      // The kubeconfig names its certificate files by path: copy them beside it, readable by the container's user.
      for (const [from, to] of [
        [kube.caPath, 'ca.crt'],
        [kube.adminCertPath, 'admin.crt'],
        [kube.adminKeyPath, 'admin.key'],
      ] as const) {
        await copyFile(from, join(dir, to));
        await chmod(join(dir, to), 0o644);
      }
      await writeKubeconfig(join(dir, 'kubeconfig'), {
        server: kube.server,
        caPath: '/kube/ca.crt',
        user: { clientCertificate: '/kube/admin.crt', clientKey: '/kube/admin.key' },
      });
      await chmod(join(dir, 'kubeconfig'), 0o644);
      const run = await runImage(
        [
          'k8s',
          '--registry',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          '/kube/kubeconfig',
          '--namespace',
          namespace,
          '--output',
          'json',
        ],
        ['--volume', `${dir}:/kube:ro`, ...awsEnv()],
      );
      assert.equal(run.status, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).results[0].action, 'created');
      const secret = await readSecret(kube, namespace);
      assert.equal(
        Buffer.from(dockerConfigOf(secret).auths[HOST]?.auth ?? '', 'base64').toString(),
        `AWS:${MOTO_PASSWORD}`,
      );
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
    });
  });

  it('serves /readyz from inside the container in service mode, and exits 0 when stopped', async () => {
    await moto.reset();
    const port = await freePort();
    const name = containerName();
    const service = podman(
      [
        'run',
        '--rm',
        '--name',
        name,
        ...HARDENED,
        '--volume',
        `${dir}:/docker`,
        '--env',
        'DOCKER_CONFIG=/docker',
        ...awsEnv(),
        TAG,
        'docker-config',
        '--watch',
        '--listen',
        `127.0.0.1:${port}`,
        '--registry',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--log-format',
        'json',
      ],
      { timeoutMs: RUN_TIMEOUT_MS },
    );
    let exited: PodmanRun | undefined;
    void service.then((run) => (exited = run));
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
      what: "the container's /readyz",
      timeoutMs: 30_000,
      intervalMs: 200,
      abortIf: () =>
        exited === undefined
          ? undefined
          : `the container exited ${exited.status}: ${exited.stderr}`,
    });
    assert.ok(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).auths[HOST]);
    await podman(['stop', '--time', '10', name], { timeoutMs: RUN_TIMEOUT_MS });
    const run = await service;
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /"msg":"stopped"/);
  });
});
