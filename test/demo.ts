// The README's first command ends here: the main job run against the local peers, no AWS account
// needed. moto stands in for ECR; the CLI is the built one, run as a user runs it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from './peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from './support/run-cli.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

async function step(title: string, args: string[], env: Record<string, string | undefined>): Promise<void> {
  process.stdout.write(`\n$ ecr-refresh ${args.join(' ')}\n`);
  const run = await runCli(args, env);
  process.stdout.write(run.stdout + run.stderr);
  if (run.status !== 0) throw new Error(`${title} exited with ${run.status}`);
}

const moto = await startMoto();
const dockerDir = await mkdtemp(join(tmpdir(), 'ecr-refresh-demo-'));
try {
  process.stdout.write(`moto (standing in for ECR) listens on ${moto.endpoint}\n`);
  const env = { ...DUMMY_AWS_ENV, DOCKER_CONFIG: dockerDir, ECR_REFRESH_ENDPOINT_URL: moto.endpoint, ECR_REFRESH_LOG_LEVEL: 'warn' };
  await step('first refresh', ['docker-config', '--registry', REGISTRY], env);
  await step('second refresh (still fresh: no ECR call, no write)', ['docker-config', '--registry', REGISTRY], env);
  await step('dry run of a forced refresh', ['docker-config', '--registry', REGISTRY, '--force', '--dry-run'], env);
  const config = JSON.parse(await readFile(join(dockerDir, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
  process.stdout.write(`\n${join(dockerDir, 'config.json')} now holds credentials for: ${Object.keys(config.auths).join(', ')}\n`);
  process.stdout.write('\nDemo done. Run every test with: npm test\n');
} finally {
  await rm(dockerDir, { recursive: true, force: true });
  await moto.stop();
}
