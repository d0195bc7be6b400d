// What the Kubernetes benchmarks (bench/k8s.ts, bench/peers.ts, bench/k8s-fleet.ts) share: the
// built CLI's `k8s` arguments, a timed child process (wall time and GNU time's peak RSS), namespaces with a `default` ServiceAccount as a
// controller-manager would add, their reset between create runs, one ServiceAccount identity per
// client (so the audit log tells the clients apart) and the requests the API server logged for one.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { KubeApiServer } from '../test/peers/index.ts';

/** The built CLI, as a user runs it. */
export const CLI = join(
  import.meta.dirname,
  '..',
  'packages',
  'cli',
  'dist',
  'bundle',
  'ecr-refresh.js',
);

/** One benchmark run of the built CLI's `k8s`. */
export interface K8sCliRun {
  /** The registry host, served by `endpointUrl` (moto, or a proxy in front of it). */
  readonly registry: string;
  readonly endpointUrl: string;
  readonly kubeconfig: string;
  /** The `-n` pattern. */
  readonly namespaces: string;
  /** `update` adds `--force`, `warm-up` `--dry-run`. */
  readonly phase: string;
  readonly extra?: readonly string[];
}

/** `node <these>` runs the CLI's `k8s` as the benchmarks time it: warnings only, results as JSON on stdout. */
export function k8sCliArgs(run: K8sCliRun): string[] {
  return [
    CLI,
    'k8s',
    '-r',
    run.registry,
    '--endpoint-url',
    run.endpointUrl,
    '--kubeconfig',
    run.kubeconfig,
    '-n',
    run.namespaces,
    '--log-level',
    'warn',
    '--output',
    'json',
    ...(run.extra ?? []),
    ...(run.phase === 'update' ? ['--force'] : run.phase === 'warm-up' ? ['--dry-run'] : []),
  ];
}

/** One timed run: wall time from spawn to exit, peak RSS of the process (or its largest descendant). */
export interface TimedRun {
  ms: number;
  rssKiB: number;
  stdout: string;
}

/**
 * Runs `command args` under `/usr/bin/time -f %M` with only PATH, HOME and `env` in its
 * environment; rejects with the end of its output unless it exits 0 within `timeoutMs`.
 * Asynchronous, so peers served from this process (a counting proxy) keep answering meanwhile.
 */
export function timed(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 15 * 60_000,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', command, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      if (code !== 0)
        reject(
          new Error(
            `${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr.slice(-2000)}${stdout.slice(-1000)}`,
          ),
        );
      else resolve({ ms, rssKiB: Number(stderr.trim().split('\n').at(-1)), stdout });
    });
  });
}

/** Runs `work` over `items` with `width` at a time. */
async function eachConcurrently<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Creates each namespace and its `default` ServiceAccount (nothing else would: no controller-manager). */
export async function createNamespaces(
  kube: KubeApiServer,
  names: readonly string[],
): Promise<void> {
  await eachConcurrently(names, 16, async (name) => {
    await kube.createNamespace(name);
    const account = await kube.request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, {
      metadata: { name: 'default' },
    });
    if (account.status !== 201) throw new Error(`serviceaccount in ${name}: ${account.status}`);
  });
}

/**
 * Undoes a create run (untimed): the Secret (`secretName(namespace)`, default
 * `ecr-pull-credentials`) deleted, the `default` ServiceAccount's references removed.
 */
export async function resetNamespaces(
  kube: KubeApiServer,
  names: readonly string[],
  secretName: (namespace: string) => string = () => 'ecr-pull-credentials',
): Promise<void> {
  await eachConcurrently(names, 16, async (name) => {
    await kube.request('DELETE', `/api/v1/namespaces/${name}/secrets/${secretName(name)}`);
    const account = await kube.request(
      'PUT',
      `/api/v1/namespaces/${name}/serviceaccounts/default`,
      { metadata: { name: 'default', namespace: name } },
    );
    if (account.status !== 200)
      throw new Error(`reset serviceaccount in ${name}: ${account.status}`);
  });
}

/** A ServiceAccount `name` in `bench-home` bound to cluster-admin, and a 2 h token for it. */
export async function clientIdentity(
  kube: KubeApiServer,
  name: string,
): Promise<{ token: string; user: string }> {
  const created = await kube.request('GET', '/api/v1/namespaces/bench-home');
  if (created.status === 404) await kube.createNamespace('bench-home');
  const token = await kube.createServiceAccountToken('bench-home', name, {
    expirationSeconds: 7200,
  });
  const binding = await kube.request(
    'POST',
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    {
      metadata: { name: `bench-${name}` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ kind: 'ServiceAccount', name, namespace: 'bench-home' }],
    },
  );
  if (binding.status !== 201) throw new Error(`binding for ${name}: ${binding.status}`);
  return { token, user: `system:serviceaccount:bench-home:${name}` };
}

/**
 * Requests the API server completed for `user`: `count` in all so far, and the ones after the
 * first `from` by `<resource> <verb>` (`other <verb>` for discovery and other non-resource URLs).
 */
export async function requestsSince(
  kube: KubeApiServer,
  user: string,
  from: number,
): Promise<{ count: number; byResource: Record<string, number> }> {
  const events = (await kube.auditEvents(user)).filter(
    (event) => event.stage === 'ResponseComplete',
  );
  const byResource: Record<string, number> = {};
  for (const event of events.slice(from)) {
    const key = `${event.objectRef?.resource ?? 'other'} ${event.verb}`;
    byResource[key] = (byResource[key] ?? 0) + 1;
  }
  return { count: events.length, byResource };
}
