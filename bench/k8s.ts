// Kubernetes sink benchmark (issue 4). On a private kube-apiserver (with etcd) and moto, for 10,
// 100 and 1000 namespaces: `ecr-refresh k8s` as a user runs it (the built CLI, a new process,
// one ECR call to moto) against the floor (bench/k8s-floor.ts: a minimal keep-alive client making
// the same Kubernetes requests with the same concurrency, no ECR call), interleaved in one run.
// Phases: create (first run), update (--force: every Secret replaced), unchanged (a fresh run),
// each repeated (BENCH_REPEATS, default 3) with the two clients interleaved; medians reported.
// Wall time from spawn to exit, peak RSS from GNU time's %M, and requests per namespace counted
// by the API server itself (audit log, one ServiceAccount per client). Writes bench/results/k8s.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, startMoto } from '../test/peers/index.ts';
import { clientIdentity, createNamespaces, requestsSince, resetNamespaces, timed } from './kube-bench.ts';
import { describeMachine, round, summarize } from './machine.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONCURRENCY = 8;
const CLI = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bundle', 'ecr-refresh.js');
const FLOOR = join(import.meta.dirname, 'k8s-floor.ts');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PHASES = ['create', 'update', 'unchanged'] as const;
type Phase = (typeof PHASES)[number];

interface Client {
  name: 'cli' | 'floor';
  user: string;
  run(prefix: string, phase: Phase): Promise<{ ms: number; rssKiB: number }>;
}

const loadAtStart = loadavg().map(round);
const kube = await startKubeApiServer();
const moto = await startMoto();
try {
  const cliIdentity = await clientIdentity(kube, 'cli');
  const floorIdentity = await clientIdentity(kube, 'floor');
  const cliKubeconfig = await kube.kubeconfigForToken(cliIdentity.token);
  const clients: Client[] = [
    {
      name: 'cli',
      user: cliIdentity.user,
      run: (prefix, phase) =>
        timed(
          process.execPath,
          [CLI, 'k8s', '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', cliKubeconfig, '-n', `${prefix}*`, '--concurrency', String(CONCURRENCY), '--log-level', 'warn', '--output', 'json', ...(phase === 'update' ? ['--force'] : [])],
          { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000', AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench', AWS_REGION: 'eu-west-1' },
        ),
    },
    {
      name: 'floor',
      user: floorIdentity.user,
      run: (prefix, phase) =>
        timed(process.execPath, [FLOOR], { FLOOR_SERVER: kube.server, FLOOR_CA: kube.caPath, FLOOR_TOKEN: floorIdentity.token, FLOOR_PREFIX: prefix, FLOOR_PHASE: phase, FLOOR_CONCURRENCY: String(CONCURRENCY) }),
    },
  ];
  const seen = new Map<string, number>(clients.map((client) => [client.user, 0]));
  const results: unknown[] = [];
  for (const size of SIZES) {
    const prefixes = Object.fromEntries(clients.map((client) => [client.name, `b${size}-${client.name}-`]));
    const namesOf = (client: Client) => Array.from({ length: size }, (_, index) => `${prefixes[client.name]}${index}`);
    for (const client of clients) await createNamespaces(kube, namesOf(client));
    for (const phase of PHASES) {
      const repeats = REPEATS;
      const samples = new Map(clients.map((client) => [client.name, [] as Array<{ ms: number; rssKiB: number }>]));
      const requests = new Map<string, { count: number; byResource: Record<string, number> }>();
      for (let repeat = 0; repeat < repeats; repeat += 1) {
        for (const client of clients) {
          if (phase === 'create' && repeat > 0) await resetNamespaces(kube, namesOf(client));
          samples.get(client.name)?.push(await client.run(prefixes[client.name] as string, phase));
          const counted = await requestsSince(kube, client.user, seen.get(client.user) ?? 0);
          if (repeat === 0) requests.set(client.name, { count: counted.count - (seen.get(client.user) ?? 0), byResource: counted.byResource });
          seen.set(client.user, counted.count);
        }
      }
      const figures = Object.fromEntries(clients.map((client) => {
        const runs = samples.get(client.name) ?? [];
        const counted = requests.get(client.name) ?? { count: 0, byResource: {} };
        const perNamespace = (resource: string) => round(Object.entries(counted.byResource).filter(([key]) => key.startsWith(`${resource} `)).reduce((sum, [, n]) => sum + n, 0) / size);
        return [client.name, {
          wallMs: summarize(runs.map((run) => run.ms)),
          peakRssMiB: summarize(runs.map((run) => run.rssKiB / 1024)),
          requests: counted.count,
          requestsPerNamespace: { total: round(counted.count / size), secrets: perNamespace('secrets'), serviceaccounts: perNamespace('serviceaccounts') },
          byResource: counted.byResource,
        }];
      }));
      const ratio = round((figures.cli?.wallMs.median ?? Number.NaN) / (figures.floor?.wallMs.median ?? Number.NaN));
      results.push({ namespaces: size, phase, ratioToFloor: ratio, ...figures });
      process.stdout.write(`${String(size).padStart(5)} ${phase.padEnd(9)} cli ${String(figures.cli?.wallMs.median).padStart(7)} ms ${String(figures.cli?.peakRssMiB.median).padStart(6)} MiB ${String(figures.cli?.requestsPerNamespace.total).padStart(4)} req/ns | floor ${String(figures.floor?.wallMs.median).padStart(7)} ms ${String(figures.floor?.peakRssMiB.median).padStart(6)} MiB ${String(figures.floor?.requestsPerNamespace.total).padStart(4)} req/ns | ${ratio}x\n`);
    }
  }
  const result = {
    benchmark: 'k8s',
    machine: describeMachine(),
    // Other work on the machine shares its cores with the API server and both clients.
    loadAverageAtStart: loadAtStart,
    kubeApiServer: `v${kube.version}`,
    concurrency: CONCURRENCY,
    repeatsPerPhase: REPEATS,
    notes: [
      'cli: the built ecr-refresh, a new process per run, including Node start-up and one GetAuthorizationToken against moto (create and update).',
      'floor: bench/k8s-floor.ts, a new process per run, no ECR call.',
      'requests are counted by the API server (audit log), first repeat of each phase; the namespace list is the non-per-namespace part.',
      'create is repeated after deleting the Secrets and clearing the ServiceAccounts (untimed).',
      'the machine was shared with other engineers\' builds and tests while this ran: see loadAverageAtStart; ratios come from interleaved runs.',
    ],
    goals: { wallTimeAt1000: 'within 1.5x of the floor', secretRequestsPerNamespace: { update: '<= 2', unchanged: '<= 1' } },
    results,
  };
  writeFileSync(join(import.meta.dirname, 'results', 'k8s.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all([kube.stop(), moto.stop()]);
}
