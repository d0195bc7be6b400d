import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  freePort,
  useCattle,
  useMoto,
  type Cattle,
  type CattleKey,
  type Moto,
} from '../peers/index.ts';
import { runCli, startCli } from '../support/run-cli.ts';

const TEMPLATE = join(
  import.meta.dirname,
  '..',
  '..',
  'deploy',
  'rancher1-catalog',
  'templates',
  'ecr-refresh',
);
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const MOTO_PASSWORD = '123456789012-auth-token';

interface Question {
  variable: string;
  type: string;
  required?: boolean;
  default?: unknown;
  options?: string[];
}

interface Compose {
  services: Record<
    string,
    {
      image: string;
      command: string[];
      environment: Record<string, string>;
      labels: Record<string, string>;
    }
  >;
}

async function loadTemplate(): Promise<{
  config: Record<string, unknown>;
  questions: Question[];
  service: Compose['services'][string];
  rancherCompose: Record<string, any>;
}> {
  const config = parse(await readFile(join(TEMPLATE, 'config.yml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const rancherCompose = parse(
    await readFile(join(TEMPLATE, '0', 'rancher-compose.yml'), 'utf8'),
  ) as Record<string, any>;
  const compose = parse(
    await readFile(join(TEMPLATE, '0', 'docker-compose.yml'), 'utf8'),
  ) as Compose;
  const service = compose.services['ecr-refresh'];
  assert.ok(service, 'the service is called ecr-refresh');
  return {
    config,
    questions: rancherCompose['.catalog'].questions as Question[],
    service,
    rancherCompose,
  };
}

/** The container environment Rancher would start with these answers (`${variable}` substituted). */
function environmentFor(
  service: Compose['services'][string],
  answers: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment).map(([name, value]) => [
      name,
      String(value).replace(/\$\{(\w+)\}/g, (_, variable: string) => answers[variable] ?? ''),
    ]),
  );
}

describe('deploy: Rancher 1.x catalog template, run against the real Cattle', function () {
  this.timeout(180_000);
  let moto: Moto;
  let cattle: Cattle;
  before(async () => {
    [moto, cattle] = await Promise.all([useMoto(), useCattle()]);
  });

  it('has the catalog layout: config.yml, an icon, 0/docker-compose.yml and 0/rancher-compose.yml', async () => {
    const { config, rancherCompose } = await loadTemplate();
    for (const key of ['name', 'description', 'version', 'category'])
      assert.ok(config[key], `config.yml has ${key}`);
    assert.match(await readFile(join(TEMPLATE, 'catalogIcon-ecr-refresh.svg'), 'utf8'), /^<svg /);
    assert.equal(rancherCompose['.catalog'].version, config.version);
  });

  it('asks for AWS keys or a role, region, registries, auto-create, log level and another environment', async () => {
    const { questions } = await loadTemplate();
    const variables = questions.map((question) => question.variable);
    for (const variable of [
      'aws_access_key_id',
      'aws_secret_access_key',
      'aws_role_arn',
      'aws_region',
      'registries',
      'auto_create',
      'log_level',
      'rancher_url',
      'rancher_access_key',
      'rancher_secret_key',
    ]) {
      assert.ok(variables.includes(variable), `question ${variable}`);
    }
    for (const secret of ['aws_secret_access_key', 'rancher_secret_key'])
      assert.equal(questions.find((question) => question.variable === secret)?.type, 'password');
  });

  it('runs the service mode with the agent labels that inject CATTLE_*', async () => {
    const { service } = await loadTemplate();
    assert.deepEqual(service.command.slice(0, 2), ['rancher1', '--watch']);
    assert.equal(service.labels['io.rancher.container.create_agent'], 'true');
    assert.equal(service.labels['io.rancher.container.agent.role'], 'environment');
  });

  it('routes every question into a variable the CLI reads', async () => {
    const { questions, service } = await loadTemplate();
    const help = await runCli(['rancher1', '--help']);
    const flags = new Set([...help.stdout.matchAll(/--([a-z][a-z-]+)/g)].map((match) => match[1]));
    const read = (name: string) =>
      [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_REGION',
        'HTTPS_PROXY',
        'NO_PROXY',
      ].includes(name) ||
      (name.startsWith('ECR_REFRESH_') &&
        flags.has(name.slice('ECR_REFRESH_'.length).toLowerCase().replace(/_/g, '-')));
    for (const question of questions) {
      const targets = Object.entries(service.environment)
        .filter(([, value]) => String(value).includes(`\${${question.variable}}`))
        .map(([name]) => name);
      assert.equal(targets.length, 1, `question ${question.variable} reaches exactly one variable`);
      assert.ok(
        read(targets[0] ?? ''),
        `${targets[0]} (question ${question.variable}) is read by the CLI`,
      );
    }
  });

  /** Answers: the defaults, overridden; AWS keys for moto; the registry and region of the tests. */
  const answersWith = (questions: readonly Question[], overrides: Record<string, string>) => ({
    ...Object.fromEntries(
      questions.map((question) => [question.variable, String(question.default ?? '')]),
    ),
    registries: HOST,
    aws_region: 'eu-west-1',
    aws_access_key_id: 'AKIAFAKEFAKEFAKE0000',
    aws_secret_access_key: 'fake-secret-key',
    ...overrides,
  });

  /** The container's environment: Rancher's substitution of `answers`, the injected key, and moto for ECR. */
  const containerEnv = (
    service: Compose['services'][string],
    answers: Record<string, string>,
    injected: CattleKey,
  ) => ({
    ...environmentFor(service, answers),
    CATTLE_URL: `${cattle.origin}/v1`,
    CATTLE_ACCESS_KEY: injected.accessKey,
    CATTLE_SECRET_KEY: injected.secretKey,
    ECR_REFRESH_ENDPOINT_URL: moto.endpoint,
  });

  /** One cycle of the service: its command without --watch. */
  const runOneCycle = (
    service: Compose['services'][string],
    answers: Record<string, string>,
    injected: CattleKey,
  ) =>
    runCli(
      service.command.filter((arg) => !arg.startsWith('--watch') && !arg.startsWith('--listen')),
      containerEnv(service, answers, injected),
    );

  it('runs as the catalog service does: ready after its first refresh, and stops cleanly on SIGTERM', async () => {
    const { questions, service } = await loadTemplate();
    const environment = await cattle.createEnvironment('catalog-service');
    const port = await freePort();
    // Only the listen address changes: tests bind loopback only.
    const command = service.command.map((arg) =>
      arg.startsWith('--listen') ? `--listen=127.0.0.1:${port}` : arg,
    );
    const running = startCli(
      command,
      containerEnv(service, answersWith(questions, { auto_create: 'true' }), environment.key),
    );
    try {
      const deadline = Date.now() + 20_000;
      let ready = 0;
      while (ready !== 200 && Date.now() < deadline) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (response) => response.status,
          () => 0,
        );
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(ready, 200, running.output().stderr);
      await cattle.settledPull(environment.id, `${HOST}/app:1`, MOTO_PASSWORD);
      running.child.kill('SIGTERM');
      assert.equal((await running.exited).status, 0);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('with the default answers, serves the environment whose key Rancher injects', async () => {
    const { questions, service } = await loadTemplate();
    const environment = await cattle.createEnvironment('catalog-current');
    const run = await runOneCycle(
      service,
      answersWith(questions, { auto_create: 'true' }),
      environment.key,
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    await cattle.settledPull(environment.id, `${HOST}/app:1`, MOTO_PASSWORD);
  });

  it('with another environment answered, serves that one instead of the injected key', async () => {
    const { questions, service } = await loadTemplate();
    const injected = await cattle.createEnvironment('catalog-injected');
    const other = await cattle.createEnvironment('catalog-other');
    const registry = await cattle.addRegistry(other.id, HOST);
    await cattle.addCredential(other.id, registry.id, {
      publicValue: 'AWS',
      secretValue: 'old-expired-password',
    });
    const answers = answersWith(questions, {
      log_level: 'debug',
      rancher_url: `${cattle.origin}/v2-beta/projects/${other.id}`,
      rancher_access_key: other.key.accessKey,
      rancher_secret_key: other.key.secretKey,
    });
    const run = await runOneCycle(service, answers, injected.key);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stderr, /"level":"debug"/);
    await cattle.settledPull(other.id, `${HOST}/app:1`, MOTO_PASSWORD);
    assert.deepEqual(await cattle.registries(injected.id), []);
  });
});
