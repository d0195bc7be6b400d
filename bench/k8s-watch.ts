// Kubernetes watch latency (issue 6). On a private kube-apiserver (with etcd) and moto, the built
// CLI runs `k8s --watch` serving `bench-*`; 50 times, one after the other, a namespace (and its
// `default` ServiceAccount, as a controller-manager would add) is created and the time until the
// Secret is present (polled every 10 ms by the admin client) is measured from the namespace's
// POST. The service debounces changes for 500 ms, so that is the floor. ECR calls are read from
// /metrics before and after (the token is already held: one namespace is served at start): a new
// namespace must cost none. Then, in each of those namespaces, the `default` ServiceAccount is
// stripped of its reference (a PUT without imagePullSecrets, as a user or a GitOps tool would) and
// the time until the reference is back is measured the same way: it must cost no ECR call either.
// Writes bench/results/k8s-watch.json.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startKubeApiServer, startMoto } from '../test/peers/index.ts';
import { describeMachine, round, summarize } from './machine.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 50);
const POLL_MS = 10;
const DEBOUNCE_MS = 500;
const CLI = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bundle', 'ecr-refresh.js');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench-only',
  AWS_REGION: 'eu-west-1',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ecrCalls(base: string): Promise<number> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  return Number(/^ecr_refresh_ecr_calls_total (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

const [kube, moto] = await Promise.all([startKubeApiServer(), startMoto()]);
// One namespace served before the samples, so the service holds a token (an empty first cycle fetches none).
await kube.createNamespace('bench-seed');
await kube.request('POST', '/api/v1/namespaces/bench-seed/serviceaccounts', {
  metadata: { name: 'default' },
});
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const service = spawn(
  process.execPath,
  [
    CLI,
    'k8s',
    '--watch',
    '--listen',
    `127.0.0.1:${port}`,
    '-r',
    HOST,
    '--endpoint-url',
    moto.endpoint,
    '--kubeconfig',
    kube.kubeconfigPath,
    '-n',
    'bench-*',
    '--log-level',
    'warn',
  ],
  {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...AWS_ENV },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
try {
  const readyBy = Date.now() + 30_000;
  while (
    (await fetch(`${base}/readyz`).then(
      (response) => response.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > readyBy) throw new Error('the service did not turn ready');
    await sleep(100);
  }
  const callsBefore = await ecrCalls(base);
  const latencies: number[] = [];
  for (let index = 0; index < SAMPLES; index += 1) {
    const name = `bench-${String(index).padStart(3, '0')}`;
    const started = performance.now();
    await kube.createNamespace(name);
    await kube.request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, {
      metadata: { name: 'default' },
    });
    const deadline = Date.now() + 30_000;
    while (
      (await kube.request('GET', `/api/v1/namespaces/${name}/secrets/ecr-pull-credentials`))
        .status !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`no Secret in ${name} after 30 s`);
      await sleep(POLL_MS);
    }
    latencies.push(performance.now() - started);
  }
  const callsAfter = await ecrCalls(base);
  const accountLatencies: number[] = [];
  for (let index = 0; index < SAMPLES; index += 1) {
    const path = `/api/v1/namespaces/bench-${String(index).padStart(3, '0')}/serviceaccounts/default`;
    const started = performance.now();
    await kube.request('PUT', path, { metadata: { name: 'default' } });
    const deadline = Date.now() + 30_000;
    while (((await kube.request('GET', path)).body.imagePullSecrets ?? []).length === 0) {
      if (Date.now() > deadline) throw new Error(`no reference in ${path} after 30 s`);
      await sleep(POLL_MS);
    }
    accountLatencies.push(performance.now() - started);
  }
  const callsAfterAccounts = await ecrCalls(base);
  const stats = summarize(latencies);
  const accountStats = summarize(accountLatencies);
  const result = {
    benchmark: 'k8s-watch',
    machine: describeMachine(),
    samples: SAMPLES,
    pollMs: POLL_MS,
    debounceMs: DEBOUNCE_MS,
    namespaceToSecretMs: {
      median: stats.median,
      p90: stats.p90,
      min: stats.min,
      worst: round(Math.max(...latencies)),
    },
    medianOverDebounce: round(stats.median / DEBOUNCE_MS),
    ecrCallsForNewNamespaces: callsAfter - callsBefore,
    serviceAccountToReferenceMs: {
      median: accountStats.median,
      p90: accountStats.p90,
      min: accountStats.min,
      worst: round(Math.max(...accountLatencies)),
    },
    ecrCallsForServiceAccounts: callsAfterAccounts - callsAfter,
    goal: 'a namespace created (or a ServiceAccount stripped of its reference) while the service runs is served within a couple of seconds (2 s for the ServiceAccount), with no ECR call',
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'k8s-watch.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  service.kill('SIGTERM');
  await new Promise((resolve) => service.once('exit', resolve));
  await Promise.all([kube.stop(), moto.stop()]);
}
