// Kubernetes sink benchmark (issues 4 and 15). For 10, 100 and 1000 namespaces: `ecr-refresh k8s`
// as a user runs it (the built CLI, a new process, one ECR call to moto) against the floor
// (bench/k8s-floor.ts: a minimal keep-alive client making the same Kubernetes requests with the
// same concurrency, no ECR call), interleaved in one run, plus the CLI with `--service-account '*'`
// (requests only). Each client has its own kube-apiserver (with etcd) per size, holding its N
// namespaces and the server's own, so a list answers what it would in a cluster of that size.
// Phases: create (first run), update (--force: every Secret replaced), unchanged (a fresh run),
// each repeated (BENCH_REPEATS, default 3) with the clients interleaved; medians reported.
// Wall time from spawn to exit, peak RSS from GNU time's %M, and requests counted by the API
// server itself (audit log): per cluster (the lists) and per namespace. Writes bench/results/k8s.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, startMoto, type KubeApiServer } from '../test/peers/index.ts';
import {
  clientIdentity,
  createNamespaces,
  k8sCliArgs,
  requestsSince,
  resetNamespaces,
  timed,
  type TimedRun,
} from './kube-bench.ts';
import { describeMachine, round, summarize } from './machine.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONCURRENCY = 8;
const FLOOR = join(import.meta.dirname, 'k8s-floor.ts');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PHASES = ['create', 'update', 'unchanged'] as const;
type Phase = (typeof PHASES)[number];

interface Client {
  name: 'cli' | 'floor' | 'cli-all-sa';
  /** Timed against the floor (the ratio); otherwise its requests only are of interest. */
  compared: boolean;
  run(kube: Served, prefix: string, phase: Phase | 'warm-up'): Promise<TimedRun>;
}

/** A client's own API server for one size, and who the client is there. */
interface Served {
  kube: KubeApiServer;
  token: string;
  user: string;
  kubeconfig: string;
}

const loadAtStart = loadavg().map(round);
const moto = await startMoto();
const cliRun = (extra: string[]) => (served: Served, prefix: string, phase: Phase | 'warm-up') =>
  timed(
    process.execPath,
    k8sCliArgs({
      registry: HOST,
      endpointUrl: moto.endpoint,
      kubeconfig: served.kubeconfig,
      namespaces: `${prefix}*`,
      phase,
      extra: ['--concurrency', String(CONCURRENCY), ...extra],
    }),
    {
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench',
      AWS_REGION: 'eu-west-1',
    },
  );
const clients: Client[] = [
  { name: 'cli', compared: true, run: cliRun([]) },
  {
    name: 'floor',
    compared: true,
    run: (served, prefix, phase) =>
      timed(process.execPath, [FLOOR], {
        FLOOR_SERVER: served.kube.server,
        FLOOR_CA: served.kube.caPath,
        FLOOR_TOKEN: served.token,
        FLOOR_PREFIX: prefix,
        FLOOR_PHASE: phase,
        FLOOR_CONCURRENCY: String(CONCURRENCY),
      }),
  },
  { name: 'cli-all-sa', compared: false, run: cliRun(['--service-account', '*']) },
];
const results: unknown[] = [];
let kubeVersion = '';
try {
  for (const size of SIZES) {
    const servers = new Map<string, Served>();
    try {
      for (const client of clients) {
        const kube = await startKubeApiServer();
        kubeVersion = kube.version;
        await kube.createNamespace('bench-home');
        const identity = await clientIdentity(kube, client.name);
        servers.set(client.name, {
          kube,
          ...identity,
          kubeconfig: await kube.kubeconfigForToken(identity.token),
        });
      }
      const prefixOf = (client: Client) => `b${size}-${client.name}-`;
      const namesOf = (client: Client) =>
        Array.from({ length: size }, (_, index) => `${prefixOf(client)}${index}`);
      const servedBy = (client: Client) => servers.get(client.name) as Served;
      for (const client of clients) await createNamespaces(servedBy(client).kube, namesOf(client));
      // An untimed dry run first, so that no timed run is the CLI's first (its code cache is written then).
      for (const client of clients)
        if (client.name !== 'floor')
          await client.run(servedBy(client), prefixOf(client), 'warm-up');
      const seen = new Map<string, number>();
      for (const client of clients)
        seen.set(
          client.name,
          (await requestsSince(servedBy(client).kube, servedBy(client).user, 0)).count,
        );
      for (const phase of PHASES) {
        const samples = new Map(
          clients.map((client) => [client.name, [] as Array<{ ms: number; rssKiB: number }>]),
        );
        const requests = new Map<string, { count: number; byResource: Record<string, number> }>();
        for (let repeat = 0; repeat < REPEATS; repeat += 1) {
          for (const client of clients) {
            if (!client.compared && repeat > 0) continue;
            const served = servedBy(client);
            if (phase === 'create' && repeat > 0)
              await resetNamespaces(served.kube, namesOf(client));
            samples.get(client.name)?.push(await client.run(served, prefixOf(client), phase));
            const from = seen.get(client.name) ?? 0;
            const counted = await requestsSince(served.kube, served.user, from);
            if (repeat === 0)
              requests.set(client.name, {
                count: counted.count - from,
                byResource: counted.byResource,
              });
            seen.set(client.name, counted.count);
          }
        }
        const figures = Object.fromEntries(
          clients.map((client) => {
            const runs = samples.get(client.name) ?? [];
            const counted = requests.get(client.name) ?? { count: 0, byResource: {} };
            const sum = (keep: (key: string) => boolean) =>
              Object.entries(counted.byResource)
                .filter(([key]) => keep(key))
                .reduce((total, [, n]) => total + n, 0);
            const lists = sum((key) => key.endsWith(' list'));
            const perNamespace = (resource: string) =>
              round(sum((key) => key.startsWith(`${resource} `)) / size);
            return [
              client.name,
              {
                wallMs: summarize(runs.map((run) => run.ms)),
                peakRssMiB: summarize(runs.map((run) => run.rssKiB / 1024)),
                requests: counted.count,
                // The lists: what a run costs whatever it writes.
                requestsPerCluster: lists,
                requestsPerNamespace: {
                  total: round(counted.count / size),
                  writes: round((counted.count - lists) / size),
                  secrets: perNamespace('secrets'),
                  serviceaccounts: perNamespace('serviceaccounts'),
                },
                byResource: counted.byResource,
              },
            ];
          }),
        );
        const ratio = round(
          (figures.cli?.wallMs.median ?? Number.NaN) / (figures.floor?.wallMs.median ?? Number.NaN),
        );
        results.push({ namespaces: size, phase, ratioToFloor: ratio, ...figures });
        const line = (name: string) => {
          const figure = figures[name];
          return `${name} ${String(figure?.wallMs.median).padStart(7)} ms ${String(figure?.peakRssMiB.median).padStart(6)} MiB ${String(figure?.requests).padStart(5)} req (${figure?.requestsPerCluster} lists, ${figure?.requestsPerNamespace.writes}/ns)`;
        };
        process.stdout.write(
          `${String(size).padStart(5)} ${phase.padEnd(9)} ${clients.map((client) => line(client.name)).join(' | ')} | ${ratio}x\n`,
        );
      }
    } finally {
      await Promise.all([...servers.values()].map((served) => served.kube.stop()));
    }
  }
  const result = {
    benchmark: 'k8s',
    machine: describeMachine(),
    // Other work on the machine shares its cores with the API servers and the clients.
    loadAverageAtStart: loadAtStart,
    kubeApiServer: `v${kubeVersion}`,
    concurrency: CONCURRENCY,
    repeatsPerPhase: REPEATS,
    notes: [
      'cli: the built ecr-refresh, a new process per run, including Node start-up and one GetAuthorizationToken against moto (create and update).',
      'floor: bench/k8s-floor.ts, a new process per run, no ECR call, the same requests (three lists, then the writes).',
      "cli-all-sa: the same CLI with --service-account '*' (every ServiceAccount listed across namespaces); one run per phase, requests only.",
      "each client has its own kube-apiserver per size: N namespaces (each with its default ServiceAccount) plus the server's own (default, kube-system, kube-public, kube-node-lease) and bench-home.",
      'requests are counted by the API server (audit log), first repeat of each phase; requestsPerCluster are the lists (namespaces, Secrets by name, ServiceAccounts by name or all), requestsPerNamespace.writes the rest; requestsPerNamespace.secrets and .serviceaccounts count every request of that resource, its list included.',
      'create is repeated after deleting the Secrets and clearing the ServiceAccounts (untimed).',
      "the machine was shared with other engineers' builds and tests while this ran: see loadAverageAtStart; ratios come from interleaved runs.",
    ],
    goals: {
      wallTimeAt1000: 'within 1.5x of the floor',
      unchangedRequestsPerClusterAt1000: '<= 5',
      secretRequestsPerNamespaceAt1000: { update: '<= 1.1' },
      serviceAccountWrites: 'only where the reference is missing',
    },
    results,
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'k8s.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await moto.stop();
}
