// The README's first command ends here: the main jobs run against the local peers, no AWS account
// needed. moto stands in for ECR, a real kube-apiserver (built from the official Go modules on
// first use, then cached) for the cluster, and the real Rancher 1.6 API server (Cattle, built
// with Maven on first use, then cached) for Rancher 1.x when Java 17 is installed; the CLI is the
// built one, run as a user runs it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJava } from './peers/cattle/cattle-war.ts';
import { startCattle, startKubeApiServer, startMoto, type Cattle } from './peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from './support/run-cli.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

async function step(args: string[], env: Record<string, string | undefined>): Promise<void> {
  process.stdout.write(`\n$ ecr-refresh ${args.join(' ')}\n`);
  const run = await runCli(args, env);
  process.stdout.write(run.stdout + run.stderr);
  if (run.status !== 0) throw new Error(`ecr-refresh ${args[0]} exited with ${run.status}`);
}

// Rancher 1.x needs Java 17 (and Maven for the first build); without Java that part is skipped.
const skipRancher1 = await findJava().then(() => undefined, (error: Error) => error.message);
process.stdout.write('Starting moto (standing in for ECR) and a kube-apiserver with RBAC on (the first run builds it: about 7 minutes)');
process.stdout.write(skipRancher1 === undefined ? ', and the real Rancher 1.6 API server (first run: a 2-5 minute Maven build; each start 20-60 s)...\n' : '...\n');
const [moto, kube, cattle] = await Promise.all([startMoto(), startKubeApiServer(), skipRancher1 === undefined ? startCattle() : Promise.resolve(undefined)]);
const dockerDir = await mkdtemp(join(tmpdir(), 'ecr-refresh-demo-'));
try {
  const env = { ...DUMMY_AWS_ENV, DOCKER_CONFIG: dockerDir, ECR_REFRESH_ENDPOINT_URL: moto.endpoint, ECR_REFRESH_LOG_LEVEL: 'warn' };

  process.stdout.write(`\n== Kubernetes: ${kube.server} ==\n`);
  // No controller-manager runs here, so the `default` ServiceAccount it would make is made by hand.
  for (const name of ['team-a', 'team-b']) {
    await kube.createNamespace(name);
    await kube.request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: 'default' } });
  }
  const k8s = ['k8s', '--registry', REGISTRY, '--kubeconfig', kube.kubeconfigPath, '--namespace', 'team-a', '--namespace', 'team-b'];
  await step(k8s, env);
  await step(k8s, env); // still fresh: no ECR call, no write
  const secret = await kube.request<{ type: string; metadata: { annotations: Record<string, string> } }>('GET', '/api/v1/namespaces/team-a/secrets/ecr-pull-credentials');
  const account = await kube.request<{ imagePullSecrets?: Array<{ name: string }> }>('GET', '/api/v1/namespaces/team-a/serviceaccounts/default');
  process.stdout.write(`\nteam-a/ecr-pull-credentials: ${secret.body.type}, expires ${secret.body.metadata.annotations['ecr-refresh/expires-at']}\n`);
  process.stdout.write(`team-a/default imagePullSecrets: ${JSON.stringify(account.body.imagePullSecrets ?? [])}\n`);

  process.stdout.write('\n== Docker config.json ==\n');
  await step(['docker-config', '--registry', REGISTRY], env);
  await step(['docker-config', '--registry', REGISTRY, '--force', '--dry-run'], env);
  const config = JSON.parse(await readFile(join(dockerDir, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
  process.stdout.write(`\n${join(dockerDir, 'config.json')} holds credentials for: ${Object.keys(config.auths).join(', ')}\n`);

  if (cattle === undefined) process.stdout.write(`\n== Rancher 1.x: skipped (${skipRancher1}) ==\n`);
  else await rancher1Demo(cattle, env);
  process.stdout.write('\nDemo done. Run every test with: npm test\n');
} finally {
  await rm(dockerDir, { recursive: true, force: true });
  await Promise.all([moto.stop(), kube.stop(), cattle?.stop()]);
}

/** An environment with an API key, as a catalog service receives it: the registry is created, then kept fresh. */
async function rancher1Demo(cattle: Cattle, env: Record<string, string | undefined>): Promise<void> {
  process.stdout.write(`\n== Rancher 1.x: Cattle ${cattle.version} (Rancher 1.6.30) at ${cattle.origin} ==\n`);
  const environment = await cattle.createEnvironment('Production');
  const cattleEnv = { ...env, CATTLE_URL: `${cattle.origin}/v1`, CATTLE_ACCESS_KEY: environment.key.accessKey, CATTLE_SECRET_KEY: environment.key.secretKey };
  await step(['rancher1', '--registry', REGISTRY, '--auto-create'], cattleEnv);
  await step(['rancher1', '--registry', REGISTRY], cattleEnv); // still fresh: no ECR call, no write
  const pull = await cattle.pullCredential(environment.id, `${REGISTRY}/app:1`);
  const registries = await cattle.registries(environment.id);
  process.stdout.write(`\nProduction (${environment.id}) registries: ${registries.map((registry) => `${registry.id} ${registry.serverAddress} ${registry.state}`).join(', ')}\n`);
  process.stdout.write(`a pull of ${REGISTRY}/app:1 there uses credential ${pull?.credentialId ?? 'none'} (user ${pull?.publicValue ?? '-'})\n`);
}
