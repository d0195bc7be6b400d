// Shared by the k8s end-to-end suites: unique namespaces on the shared API server, and reading
// back what ecr-refresh wrote.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort, useKube, useMoto, type KubeApiServer, type Moto } from '../peers/index.ts';
import { waitUntil } from '../peers/wait-until.ts';
import {
  DUMMY_AWS_ENV,
  readEndpoint,
  runCli,
  startCli,
  type CliRun,
  type RunningCli,
} from '../support/run-cli.ts';

/** moto answers GetAuthorizationToken with base64("AWS:<account>-auth-token"). */
export const MOTO_PASSWORD = '123456789012-auth-token';
export const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
export const SECRET = 'ecr-pull-credentials';

/** The run's API server and moto, moto reset to a clean state (no IAM auth). */
export async function useKubeAndMoto(): Promise<{ kube: KubeApiServer; moto: Moto }> {
  const [kube, moto] = await Promise.all([useKube(), useMoto()]);
  await moto.reset();
  return { kube, moto };
}

/** A namespace-safe unique name: the API server is shared and namespaces never finish deleting. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates namespaces, each with a `default` ServiceAccount (no controller-manager creates one
 * here), optionally with pull secrets already in place.
 */
export async function createNamespaces(
  kube: KubeApiServer,
  names: readonly string[],
  options: { labels?: Record<string, string>; pullSecrets?: string[] } = {},
): Promise<void> {
  for (const name of names) {
    await kube.createNamespace(name, options.labels ?? {});
    const account = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default' },
      ...(options.pullSecrets === undefined
        ? {}
        : { imagePullSecrets: options.pullSecrets.map((secret) => ({ name: secret })) }),
    };
    const created = await kube.request(
      'POST',
      `/api/v1/namespaces/${name}/serviceaccounts`,
      account,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
}

/** The Secret as the admin sees it, or undefined (404). */
export async function readSecret(
  kube: KubeApiServer,
  namespace: string,
  name = SECRET,
): Promise<any> {
  const response = await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
  if (response.status === 404) return undefined;
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

/** The docker config a Secret holds; fails the test unless it is a valid dockerconfigjson. */
export function dockerConfigOf(secret: any): {
  auths: Record<string, { auth: string; username: string; password: string }>;
} {
  assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
  const text = Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8');
  return JSON.parse(text);
}

/** The names in a ServiceAccount's imagePullSecrets, in order. */
export async function pullSecretsOf(
  kube: KubeApiServer,
  namespace: string,
  account = 'default',
): Promise<string[]> {
  const response = await kube.request(
    'GET',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${account}`,
  );
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body.imagePullSecrets ?? []).map((entry: { name: string }) => entry.name);
}

/** Targets of a `--output json` report by action: `{ created: ['ctx/ns', …], … }`. */
export function targetsByAction(stdout: string): Record<string, string[]> {
  const report = JSON.parse(stdout) as { results: Array<{ target: string; action: string }> };
  const byAction: Record<string, string[]> = {};
  for (const { action, target } of report.results)
    byAction[action] = [...(byAction[action] ?? []), target];
  for (const list of Object.values(byAction)) list.sort();
  return byAction;
}

/**
 * The grants (`resource verb`) used only when a target fails: the Warning Event and the update of
 * its count. A run where every target succeeds leaves them unused; the failure tests of
 * k8s-rbac.spec.ts prove them used, and needed.
 */
export const FAILURE_ONLY_GRANTS = ['events create', 'events patch'];

/** The repository's deploy/ directory. */
export const DEPLOY_DIR = join(import.meta.dirname, '..', '..', 'deploy');

/** Runs kubectl (the one on PATH) with the admin kubeconfig; rejects with its stderr on failure. */
export function kubectl(kube: KubeApiServer, args: readonly string[], input?: string): string {
  try {
    return execFileSync('kubectl', ['--kubeconfig', kube.kubeconfigPath, ...args], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(
      `kubectl ${args.join(' ')}: ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
}

/** What the Helm chart suites use: the run's API server and moto, helm, and a scratch directory. */
export interface ChartSuite {
  kube: KubeApiServer;
  moto: Moto;
  helm: string;
  workdir: string;
}

/**
 * Registers a chart suite's hooks: before it, the peers, helm and a scratch directory named from
 * `prefix` (removed after it). The object returned is filled in before the suite's tests run.
 */
export function useChartSuite(prefix: string): ChartSuite {
  const suite = {} as ChartSuite;
  before(async () => {
    Object.assign(suite, await useKubeAndMoto(), {
      helm: helmBinary(),
      workdir: await mkdtemp(join(tmpdir(), prefix)),
    });
  });
  after(async () => {
    if (suite.workdir !== undefined) await rm(suite.workdir, { recursive: true, force: true });
  });
  return suite;
}

/** `helm template <args>` (release, chart, options), as parsed documents. */
export function helmTemplate(helm: string, args: readonly string[]): any[] {
  return parseAllDocuments(execFileSync(helm, ['template', ...args], { encoding: 'utf8' }))
    .map((document) => document.toJS())
    .filter((object) => object !== null);
}

/** `kubectl kustomize` of a directory, as parsed documents. */
export function kustomize(kube: KubeApiServer, directory: string): any[] {
  return parseAllDocuments(kubectl(kube, ['kustomize', directory]))
    .map((document) => document.toJS())
    .filter((object) => object !== null);
}

/**
 * Moves rendered manifests into a fresh namespace that exists, for a server dry run: a dry run
 * cannot create the Namespace an install brings, so that one is renamed too. Returns the namespace.
 */
export async function intoFreshNamespace(
  kube: KubeApiServer,
  objects: readonly any[],
): Promise<string> {
  const namespace = uniqueName('dry');
  await kube.createNamespace(namespace);
  for (const object of objects) {
    if (object.kind === 'Namespace') object.metadata.name = namespace;
    else if (!/^Cluster/.test(object.kind)) object.metadata.namespace = namespace;
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
  }
  return namespace;
}

/** `kubectl auth can-i` as another user: true for "yes", false for "no" (which exits 1). */
export function canI(
  kube: KubeApiServer,
  user: string,
  verb: string,
  resource: string,
  namespace: string,
): boolean {
  const result = spawnSync(
    'kubectl',
    [
      '--kubeconfig',
      kube.kubeconfigPath,
      'auth',
      'can-i',
      verb,
      resource,
      '-n',
      namespace,
      `--as=${user}`,
    ],
    { encoding: 'utf8' },
  );
  const answer = result.stdout.trim();
  assert.ok(answer === 'yes' || answer === 'no', `kubectl auth can-i: ${result.stderr}`);
  return answer === 'yes';
}

/** A running `ecr-refresh k8s --watch` and its endpoints. */
export interface WatchService {
  readonly cli: RunningCli;
  /** `http://127.0.0.1:<port>` of /healthz, /readyz and /metrics. */
  readonly base: string;
  /** The value of `ecr_refresh_ecr_calls_total` now. */
  ecrCalls(): Promise<number>;
  /** Why it refreshed early so far (`k8s: <context>/<namespace>: namespace added`), from its log. */
  changesSeen(): string[];
  /** SIGTERM, then asserts the exit status 0. */
  stop(): Promise<void>;
}

/**
 * Starts `ecr-refresh k8s --watch` against `ecr` (moto, or a proxy in front of it that counts the
 * calls) with `args` (kubeconfig, namespaces) and waits until /readyz says ready.
 */
export async function startWatchService(
  ecr: Pick<Moto, 'endpoint'>,
  args: readonly string[],
): Promise<WatchService> {
  const port = await freePort();
  const cli = startCli(
    [
      'k8s',
      '--watch',
      '--listen',
      `127.0.0.1:${port}`,
      '-r',
      HOST,
      '--endpoint-url',
      ecr.endpoint,
      '--log-format',
      'json',
      ...args,
    ],
    DUMMY_AWS_ENV,
    180_000,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, {
    what: '/readyz 200',
    timeoutMs: 30_000,
    intervalMs: 100,
  }).catch((error: Error) => {
    cli.child.kill('SIGKILL');
    throw new Error(`${error.message}\n${cli.output().stderr.slice(-3000)}`, { cause: error });
  });
  return {
    cli,
    base,
    async ecrCalls() {
      const metrics = (await readEndpoint(`${base}/metrics`)).body;
      const calls = /^ecr_refresh_ecr_calls_total (\d+)$/m.exec(metrics)?.[1];
      assert.ok(calls !== undefined, 'ecr_refresh_ecr_calls_total is exported');
      return Number(calls);
    },
    changesSeen: () =>
      cli
        .output()
        .stderr.split('\n')
        .filter((line) => line.includes('"change seen'))
        .map((line) => (JSON.parse(line) as { reason: string }).reason),
    async stop() {
      if (cli.child.exitCode !== null) return;
      cli.child.kill('SIGTERM');
      const exit = await cli.exited;
      assert.equal(exit.status, 0, exit.stderr);
    },
  };
}

/**
 * Takes our Secret out of the ServiceAccount's imagePullSecrets as a user would (a PUT of what was
 * read, keeping every other entry); returns the entries left.
 */
export async function stripPullSecret(
  kube: KubeApiServer,
  namespace: string,
  account = 'default',
): Promise<string[]> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${account}`;
  const read = await kube.request('GET', path);
  assert.equal(read.status, 200, JSON.stringify(read.body));
  const left = (read.body.imagePullSecrets ?? []).filter(
    (entry: { name: string }) => entry.name !== SECRET,
  );
  const replaced = await kube.request('PUT', path, { ...read.body, imagePullSecrets: left });
  assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
  return left.map((entry: { name: string }) => entry.name);
}

/** Waits until the ServiceAccount references our Secret; returns how many ms that took. */
export async function referencedWithin(
  kube: KubeApiServer,
  namespace: string,
  account = 'default',
  timeoutMs = 5000,
): Promise<number> {
  const started = Date.now();
  await waitUntil(async () => (await pullSecretsOf(kube, namespace, account)).includes(SECRET), {
    what: `ServiceAccount ${namespace}/${account} referencing ${SECRET}`,
    timeoutMs,
    intervalMs: 10,
  });
  return Date.now() - started;
}

/**
 * Waits until the namespace holds our Secret, valid for HOST, referenced by its `default`
 * ServiceAccount; returns how many ms that took.
 */
export async function servedWithin(
  kube: KubeApiServer,
  namespace: string,
  timeoutMs = 15_000,
): Promise<number> {
  const started = Date.now();
  await waitUntil(
    async () => {
      const secret = await readSecret(kube, namespace);
      return (
        secret !== undefined &&
        dockerConfigOf(secret).auths[HOST] !== undefined &&
        (await pullSecretsOf(kube, namespace)).includes(SECRET)
      );
    },
    { what: `the Secret in ${namespace}`, timeoutMs, intervalMs: 20 },
  );
  return Date.now() - started;
}

const HELM_BUILD = join(import.meta.dirname, '..', 'peers', 'helm', 'build.sh');

/** Builds helm from its Go module on first use (cached outside the clone); its path. */
export function helmBinary(): string {
  return execFileSync(HELM_BUILD, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  }).trim();
}

/** `ecr-refresh k8s` for {@link HOST} from moto, with this kubeconfig, the report as JSON. */
export function runK8sJson(
  moto: Moto,
  kubeconfig: string,
  args: readonly string[],
): Promise<CliRun> {
  return runCli(
    [
      'k8s',
      '-r',
      HOST,
      '--endpoint-url',
      moto.endpoint,
      '--kubeconfig',
      kubeconfig,
      '--output',
      'json',
      ...args,
    ],
    DUMMY_AWS_ENV,
  );
}
