// The README's first command ends here: the main jobs run against the local peers, no AWS account
// needed. moto stands in for ECR and a real kube-apiserver (built from the official Go modules on
// first use, then cached) for the cluster; the CLI is the built one, run as a user runs it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, startMoto } from './peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from './support/run-cli.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

async function step(args: string[], env: Record<string, string | undefined>): Promise<void> {
  process.stdout.write(`\n$ ecr-refresh ${args.join(' ')}\n`);
  const run = await runCli(args, env);
  process.stdout.write(run.stdout + run.stderr);
  if (run.status !== 0) throw new Error(`ecr-refresh ${args[0]} exited with ${run.status}`);
}

process.stdout.write('Starting moto (standing in for ECR) and a kube-apiserver with RBAC on (the first run builds it: about 7 minutes)...\n');
const [moto, kube] = await Promise.all([startMoto(), startKubeApiServer()]);
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
  process.stdout.write('\nDemo done. Run every test with: npm test\n');
} finally {
  await rm(dockerDir, { recursive: true, force: true });
  await Promise.all([moto.stop(), kube.stop()]);
}
