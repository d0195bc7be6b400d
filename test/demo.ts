// The README's first command ends here: the main jobs run against the local peers, no AWS account
// needed. moto stands in for ECR (installed with pip when missing). The parts run in order of what
// they need: Docker config.json needs nothing more; Rancher 1.x needs Java 17 (and Maven for the
// first build of the real Rancher 1.6 API server, Cattle, then cached); Kubernetes needs a
// kube-apiserver and etcd (KUBEBUILDER_ASSETS, else the cache, else built with Go on first use).
// A part whose prerequisites are missing is skipped with one line naming them and the command
// that installs them; the demo still exits 0. The CLI is the built one, run as a user runs it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cattleWarCached, findJava } from './peers/cattle/cattle-war.ts';
import { commandAvailable } from './peers/command-available.ts';
import {
  startCattle,
  startKubeApiServer,
  startMoto,
  type Cattle,
  type KubeApiServer,
} from './peers/index.ts';
import { KUBE_BUILD_GO, kubeBinariesSource } from './peers/kube/binaries.ts';
import { DUMMY_AWS_ENV, runCli } from './support/run-cli.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
type Env = Record<string, string | undefined>;

async function step(args: string[], env: Env): Promise<void> {
  process.stdout.write(`\n$ ecr-refresh ${args.join(' ')}\n`);
  const run = await runCli(args, env);
  process.stdout.write(run.stdout + run.stderr);
  if (run.status !== 0) throw new Error(`ecr-refresh ${args[0]} exited with ${run.status}`);
}

/** Why Rancher 1.x cannot run here, with the command that fixes it; undefined when it can. */
async function rancher1Missing(): Promise<string | undefined> {
  const packages = 'apt-get install openjdk-17-jdk-headless maven';
  try {
    await findJava();
  } catch {
    return `no Java 17 (no $JAVA_HOME/bin/java, no java on PATH); enable with: ${packages}`;
  }
  if (!(await cattleWarCached()) && !(await commandAvailable('mvn')))
    return `no Maven for the first build of Cattle (no mvn on PATH); enable with: ${packages}`;
  return undefined;
}

/** Where the kube binaries come from (for the start line), or why Kubernetes cannot run here with the command that fixes it. */
async function kubePlan(): Promise<{ from: string } | { missing: string }> {
  const source = await kubeBinariesSource(); // an unusable KUBEBUILDER_ASSETS rejects, naming it
  if (source.from === 'KUBEBUILDER_ASSETS')
    return { from: `from KUBEBUILDER_ASSETS=${source.binDir}` };
  if (source.from === 'cache') return { from: `cached in ${source.binDir}` };
  if (source.from === 'go build')
    return { from: 'the first run builds it with Go: about 7 minutes' };
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const install = `curl -fsSL https://go.dev/dl/go${KUBE_BUILD_GO}.linux-${arch}.tar.gz | tar -C /usr/local -xz && export PATH=$PATH:/usr/local/go/bin`;
  return {
    missing: `no kube-apiserver (KUBEBUILDER_ASSETS unset, none cached, no go on PATH); enable with Go 1.26 (Debian's golang is older): ${install}  (or set KUBEBUILDER_ASSETS to a directory with kube-apiserver and etcd)`,
  };
}

/** A started peer's promise that never counts as an unhandled rejection (it is awaited, or stopped, later). */
function quiet<T>(started: Promise<T>): Promise<T> {
  started.catch(() => undefined);
  return started;
}

async function main(): Promise<void> {
  const [rancher1Skip, kube] = await Promise.all([rancher1Missing(), kubePlan()]);
  const kubeSkip = 'missing' in kube ? kube.missing : undefined;
  const starting = ['moto (standing in for ECR)'];
  if (rancher1Skip === undefined)
    starting.push(
      'the real Rancher 1.6 API server (first run: a 2-5 minute Maven build; each start 20-60 s)',
    );
  if ('from' in kube) starting.push(`a kube-apiserver with RBAC on (${kube.from})`);
  process.stdout.write(`Starting ${starting.join(', ')}...\n`);

  const peers = {
    moto: quiet(startMoto()),
    cattle: rancher1Skip === undefined ? quiet(startCattle()) : undefined,
    kube: kubeSkip === undefined ? quiet(startKubeApiServer()) : undefined,
  };
  const dockerDir = await mkdtemp(join(tmpdir(), 'ecr-refresh-demo-'));
  try {
    const moto = await peers.moto;
    const env = {
      ...DUMMY_AWS_ENV,
      DOCKER_CONFIG: dockerDir,
      ECR_REFRESH_ENDPOINT_URL: moto.endpoint,
      ECR_REFRESH_LOG_LEVEL: 'warn',
    };
    await dockerConfigDemo(dockerDir, env);

    if (peers.cattle === undefined)
      process.stdout.write(`\n== Rancher 1.x: skipped: ${rancher1Skip} ==\n`);
    else await rancher1Demo(await peers.cattle, env);

    if (peers.kube === undefined)
      process.stdout.write(`\n== Kubernetes: skipped: ${kubeSkip} ==\n`);
    else await kubeDemo(await peers.kube, env);

    const skipped = [
      ...(rancher1Skip === undefined ? [] : ['Rancher 1.x']),
      ...(kubeSkip === undefined ? [] : ['Kubernetes']),
    ];
    process.stdout.write(
      `\nDemo done${skipped.length === 0 ? '' : ` (skipped: ${skipped.join(', ')}; what enables each is above)`}. Run every test with: npm test\n`,
    );
  } finally {
    await rm(dockerDir, { recursive: true, force: true });
    const started: Array<Promise<{ stop(): Promise<void> }> | undefined> = [
      peers.moto,
      peers.cattle,
      peers.kube,
    ];
    await Promise.all(
      started.map((peer) =>
        peer?.then(
          (running) => running.stop(),
          () => undefined,
        ),
      ),
    );
  }
}

async function dockerConfigDemo(dockerDir: string, env: Env): Promise<void> {
  process.stdout.write('\n== Docker config.json ==\n');
  await step(['docker-config', '--registry', REGISTRY], env);
  await step(['docker-config', '--registry', REGISTRY, '--force', '--dry-run'], env);
  const config = JSON.parse(await readFile(join(dockerDir, 'config.json'), 'utf8')) as {
    auths: Record<string, unknown>;
  };
  process.stdout.write(
    `\n${join(dockerDir, 'config.json')} holds credentials for: ${Object.keys(config.auths).join(', ')}\n`,
  );
}

/** An environment with an API key, as a catalog service receives it: the registry is created, then kept fresh. */
async function rancher1Demo(cattle: Cattle, env: Env): Promise<void> {
  process.stdout.write(
    `\n== Rancher 1.x: Cattle ${cattle.version} (Rancher 1.6.30) at ${cattle.origin} ==\n`,
  );
  const environment = await cattle.createEnvironment('Production');
  const cattleEnv = {
    ...env,
    CATTLE_URL: `${cattle.origin}/v1`,
    CATTLE_ACCESS_KEY: environment.key.accessKey,
    CATTLE_SECRET_KEY: environment.key.secretKey,
  };
  await step(['rancher1', '--registry', REGISTRY, '--auto-create'], cattleEnv);
  await step(['rancher1', '--registry', REGISTRY], cattleEnv); // still fresh: no ECR call, no write
  const pull = await cattle.pullCredential(environment.id, `${REGISTRY}/app:1`);
  const registries = await cattle.registries(environment.id);
  process.stdout.write(
    `\nProduction (${environment.id}) registries: ${registries.map((registry) => `${registry.id} ${registry.serverAddress} ${registry.state}`).join(', ')}\n`,
  );
  process.stdout.write(
    `a pull of ${REGISTRY}/app:1 there uses credential ${pull?.credentialId ?? 'none'} (user ${pull?.publicValue ?? '-'})\n`,
  );
}

async function kubeDemo(kube: KubeApiServer, env: Env): Promise<void> {
  process.stdout.write(`\n== Kubernetes: kube-apiserver v${kube.version} at ${kube.server} ==\n`);
  // No controller-manager runs here, so the `default` ServiceAccount it would make is made by hand.
  for (const name of ['team-a', 'team-b']) {
    await kube.createNamespace(name);
    await kube.request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, {
      metadata: { name: 'default' },
    });
  }
  const k8s = [
    'k8s',
    '--registry',
    REGISTRY,
    '--kubeconfig',
    kube.kubeconfigPath,
    '--namespace',
    'team-a',
    '--namespace',
    'team-b',
  ];
  await step(k8s, env);
  await step(k8s, env); // still fresh: no ECR call, no write
  const secret = await kube.request<{
    type: string;
    metadata: { annotations: Record<string, string> };
  }>('GET', '/api/v1/namespaces/team-a/secrets/ecr-pull-credentials');
  const account = await kube.request<{ imagePullSecrets?: Array<{ name: string }> }>(
    'GET',
    '/api/v1/namespaces/team-a/serviceaccounts/default',
  );
  process.stdout.write(
    `\nteam-a/ecr-pull-credentials: ${secret.body.type}, expires ${secret.body.metadata.annotations['ecr-refresh/expires-at']}\n`,
  );
  process.stdout.write(
    `team-a/default imagePullSecrets: ${JSON.stringify(account.body.imagePullSecrets ?? [])}\n`,
  );
}

try {
  await main();
} catch (error) {
  // One line, no stack trace: the peers' own failures already printed their logs above.
  process.stderr.write(
    `\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
}
