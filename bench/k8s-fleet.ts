// Fleet benchmark (issue 18): 50 Rancher clusters × 20 namespaces, served by one
// `ecr-refresh k8s --rancher-clusters all` (the fleet) against what users do today: a kubeconfig
// with one context per cluster (server `<rancher>/k8s/clusters/<id>`, the same token) and one
// `ecr-refresh k8s --context <id>` per cluster, one after another (the loop). Interleaved in one
// run, phases create / update (--force) / unchanged, BENCH_REPEATS (3) each, medians reported.
//
// The clusters share BENCH_SERVERS (5) real kube-apiservers, BENCH_CLUSTERS / BENCH_SERVERS ids
// each, behind the Rancher proxy peer (test/peers/rancher-proxy.ts), which has a namespace view
// per cluster id: a list of namespaces, or of Secrets or ServiceAccounts across namespaces,
// answers only the cluster's own 20 namespaces (`b-<cluster>-<n>`) and the server's own
// (default, kube-system, kube-public, kube-node-lease), as the cluster alone would. The management
// cluster (`local`) is one more API server holding a ready Cluster object per id. One Rancher user,
// bound to cluster-admin everywhere; the proxy impersonates it, so the API servers' audit logs
// count its requests.
//
// Wall time from spawn to exit (the loop: the sum of its runs), peak RSS from GNU time's %M (the
// loop: the largest of its runs), requests as the proxy forwarded them (per cluster id) and, first
// repeat, as the API servers' audit logs count them; ECR calls through a pass-through proxy in
// front of moto. The fleet runs at the default --cluster-concurrency (4) and at each other value of
// BENCH_CLUSTER_CONCURRENCY (default 4,8).
//   node bench/k8s-fleet.ts   (BENCH_CLUSTERS=50 BENCH_NAMESPACES=20 BENCH_SERVERS=5
//                              BENCH_REPEATS=3 BENCH_CLUSTER_CONCURRENCY=4,8)
// Writes bench/results/k8s-fleet.json. Loopback only; every peer it starts it stops.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import {
  startFaultProxy,
  startKubeApiServer,
  startMoto,
  startRancherProxy,
  writeRancherKubeconfig,
  type KubeApiServer,
  type RancherForwardedRequest,
} from '../test/peers/index.ts';
import {
  createRancherCluster,
  installRancherKinds,
} from '../test/peers/rancher2/rancher-management.ts';
import {
  createNamespaces,
  k8sCliArgs,
  requestsSince,
  resetNamespaces,
  timed,
} from './kube-bench.ts';
import { describeMachine, round, summarize } from './machine.ts';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 50);
const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 20);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CLUSTER_CONCURRENCY = (process.env.BENCH_CLUSTER_CONCURRENCY ?? '4,8')
  .split(',')
  .filter((part) => part !== '')
  .map(Number);
const ROOT = join(import.meta.dirname, '..');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench',
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const SERVER_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const USER = { id: 'u-fleetbench' };
const PHASES = ['create', 'update', 'unchanged'] as const;
type Phase = (typeof PHASES)[number];
/** What every namespace's result must say after a phase. */
const EXPECTED: Record<Phase, string> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
};

const progress = (text: string) =>
  process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** One cluster id, the API server it lives on and its namespaces there. */
interface Cluster {
  id: string;
  kube: KubeApiServer;
  namespaces: string[];
}

/** A way of serving the whole fleet once: the fleet at a cluster concurrency, or the loop. */
interface Mode {
  name: string;
  run(phase: Phase | 'warm-up'): Promise<ModeRun>;
}

interface ModeRun {
  ms: number;
  rssKiB: number;
  /** Wall time of each process started. */
  processMs: number[];
  stdout: string;
}

const CLUSTER_PREFIX = 'c-m-fleet';
const hundredths = (value: number) => Math.round(value * 100) / 100;
const pad = (value: number) => String(value).padStart(3, '0');

function clustersOn(servers: readonly KubeApiServer[]): Cluster[] {
  return Array.from({ length: CLUSTERS }, (_, index) => ({
    id: `${CLUSTER_PREFIX}${pad(index)}`,
    kube: servers[index % servers.length] as KubeApiServer,
    namespaces: Array.from({ length: NAMESPACES }, (_, n) => `b-${pad(index)}-${n}`),
  }));
}

/** Binds the Rancher user (as the proxy impersonates it) to cluster-admin. */
async function grantAdmin(kube: KubeApiServer): Promise<void> {
  const binding = await kube.request(
    'POST',
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    {
      metadata: { name: `bench-${USER.id}` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER.id }],
    },
  );
  if (binding.status !== 201) throw new Error(`binding on ${kube.server}: ${binding.status}`);
}

/** What users write today: one context per cluster, each at Rancher's proxy, one user with the token. */
function perClusterKubeconfig(
  ids: readonly string[],
  serverFor: (id: string) => string,
  caPem: string,
  token: string,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: ids.map((id) => ({
      name: id,
      cluster: {
        server: serverFor(id),
        'certificate-authority-data': Buffer.from(caPem).toString('base64'),
      },
    })),
    users: [{ name: 'rancher', user: { token } }],
    contexts: ids.map((id) => ({ name: id, context: { cluster: id, user: 'rancher' } })),
    'current-context': ids[0],
  });
}

function cliArgs(kubeconfig: string, phase: Phase | 'warm-up', extra: readonly string[]) {
  return k8sCliArgs({
    registry: HOST,
    endpointUrl: ecr.url,
    kubeconfig,
    namespaces: 'b-*',
    phase,
    extra,
  });
}

/** Requests the proxy forwarded, by cluster and kind: lists (GET of a collection), gets, writes. */
function tally(records: readonly RancherForwardedRequest[]) {
  const byCluster = new Map<string, number>();
  const byKind: Record<string, number> = {};
  for (const record of records) {
    byCluster.set(record.clusterId, (byCluster.get(record.clusterId) ?? 0) + 1);
    const [route = ''] = record.path.split('?');
    const resource =
      /\/namespaces\/[^/]+\/([a-z]+)/.exec(route)?.[1] ??
      /\/([a-z]+)(?:\/[^/]+)?$/.exec(route)?.[1];
    const collection = !/\/namespaces\/[^/]+$/.test(route) && route.endsWith(`/${resource}`);
    const verb =
      record.method === 'GET' ? (collection ? 'list' : 'get') : record.method.toLowerCase();
    const key = `${resource ?? 'other'} ${verb}`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  return { byCluster, byKind };
}

const loadAtStart = loadavg().map(round);
const started = Date.now();
const gitHead = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%h %s'], {
  encoding: 'utf8',
}).stdout.trim();
const moto = await startMoto();
// Every ECR call passes this proxy (plain pass-through), so runs can count them.
const ecr = await startFaultProxy(moto.endpoint);
const servers: KubeApiServer[] = [];
const workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-fleet-bench-'));
try {
  progress(`starting ${SERVERS + 1} API servers (one management, ${SERVERS} downstream)`);
  const management = await startKubeApiServer();
  servers.push(management);
  for (let index = 0; index < SERVERS; index += 1) servers.push(await startKubeApiServer());
  const downstreamServers = servers.slice(1);
  for (const kube of servers) await grantAdmin(kube);
  const clusters = clustersOn(downstreamServers);
  await installRancherKinds(management);
  for (const cluster of clusters)
    await createRancherCluster(management, {
      id: cluster.id,
      displayName: cluster.id.replace(CLUSTER_PREFIX, 'fleet-'),
      ready: 'True',
    });
  progress(`creating ${CLUSTERS} × ${NAMESPACES} namespaces on ${SERVERS} API servers`);
  const namesOf = (kube: KubeApiServer) =>
    clusters.filter((cluster) => cluster.kube === kube).flatMap((cluster) => cluster.namespaces);
  await Promise.all(downstreamServers.map((kube) => createNamespaces(kube, namesOf(kube))));
  const proxy = await startRancherProxy(management, {
    clusterIds: ['local'],
    downstream: Object.fromEntries(clusters.map((cluster) => [cluster.id, cluster.kube])),
    namespaceViews: Object.fromEntries(
      clusters.map((cluster) => {
        const own = new Set([...cluster.namespaces, ...SERVER_NAMESPACES]);
        return [cluster.id, (namespace: string) => own.has(namespace)];
      }),
    ),
  });
  try {
    const token = proxy.issueToken(USER);
    const fleetKubeconfig = await writeRancherKubeconfig(join(workdir, 'rancher.yaml'), {
      clusterName: 'local',
      server: proxy.serverFor('local'),
      caPem: proxy.caPem,
      user: { token },
    });
    const loopKubeconfig = join(workdir, 'contexts.yaml');
    await writeFile(
      loopKubeconfig,
      perClusterKubeconfig(
        clusters.map((cluster) => cluster.id),
        (id) => proxy.serverFor(id),
        proxy.caPem,
        token,
      ),
      { mode: 0o600 },
    );
    const modes: Mode[] = [
      ...CLUSTER_CONCURRENCY.map(
        (concurrency): Mode => ({
          name: `fleet-${concurrency}`,
          async run(phase) {
            const one = await timed(
              process.execPath,
              cliArgs(fleetKubeconfig, phase, [
                '--rancher-clusters',
                'all',
                ...(concurrency === 4 ? [] : ['--cluster-concurrency', String(concurrency)]),
              ]),
              AWS_ENV,
            );
            return { ...one, processMs: [one.ms] };
          },
        }),
      ),
      {
        name: 'loop',
        async run(phase) {
          const total: ModeRun = { ms: 0, rssKiB: 0, processMs: [], stdout: '' };
          const ids = phase === 'warm-up' ? clusters.slice(0, 1) : clusters;
          for (const cluster of ids) {
            const one = await timed(
              process.execPath,
              cliArgs(loopKubeconfig, phase, ['--context', cluster.id]),
              AWS_ENV,
            );
            total.ms += one.ms;
            total.rssKiB = Math.max(total.rssKiB, one.rssKiB);
            total.processMs.push(one.ms);
            total.stdout += one.stdout;
          }
          return total;
        },
      },
    ];
    progress(`modes ${modes.map((mode) => mode.name).join(', ')}; one untimed dry run of each`);
    for (const mode of modes) await mode.run('warm-up');

    const auditSeen = new Map<KubeApiServer, number>();
    const auditCount = async (kube: KubeApiServer) => {
      const counted = await requestsSince(kube, USER.id, auditSeen.get(kube) ?? 0);
      const since = counted.count - (auditSeen.get(kube) ?? 0);
      auditSeen.set(kube, counted.count);
      return since;
    };
    for (const kube of servers) await auditCount(kube);
    const rows = [];
    for (const phase of PHASES) {
      const samples = new Map(modes.map((mode) => [mode.name, [] as ModeRun[]]));
      const firsts = new Map<string, Record<string, unknown>>();
      for (let repeat = 0; repeat < REPEATS; repeat += 1) {
        // The order turns each repeat, so no mode always runs right after another's load.
        const order = modes.map((_, index) => modes[(index + repeat) % modes.length] as Mode);
        for (const mode of order) {
          if (phase === 'create' && (repeat > 0 || mode !== order[0]))
            await Promise.all(
              downstreamServers.map((kube) => resetNamespaces(kube, namesOf(kube))),
            );
          // The audit logs are read around the first repeat only (reading them is slow).
          if (repeat === 0) for (const kube of servers) await auditCount(kube);
          proxy.clearRecords();
          const ecrBefore = ecr.requests.length;
          const run = await mode.run(phase);
          samples.get(mode.name)?.push(run);
          const actions: Record<string, number> = {};
          for (const match of run.stdout.matchAll(/"action":\s*"(\w+)"/g))
            actions[match[1] as string] = (actions[match[1] as string] ?? 0) + 1;
          const served = CLUSTERS * NAMESPACES;
          if (actions[EXPECTED[phase]] !== served)
            throw new Error(
              `${mode.name} ${phase}: expected ${served} ${EXPECTED[phase]}, got ${JSON.stringify(actions)}`,
            );
          const { byCluster, byKind } = tally(proxy.forwarded);
          const downstream = proxy.forwarded.filter((record) => record.clusterId !== 'local');
          const lists = Object.entries(tally(downstream).byKind)
            .filter(([key]) => key.endsWith(' list'))
            .reduce((sum, [, count]) => sum + count, 0);
          const perCluster = [...byCluster.entries()]
            .filter(([id]) => id !== 'local')
            .map(([, count]) => count);
          if (repeat === 0) {
            const audited = [];
            for (const kube of servers) audited.push(await auditCount(kube));
            firsts.set(mode.name, {
              requests: proxy.forwarded.length,
              management: byCluster.get('local') ?? 0,
              downstream: downstream.length,
              clustersReached: perCluster.length,
              perCluster: {
                lists: round(lists / CLUSTERS),
                total: summarize(perCluster),
              },
              perNamespace: {
                total: hundredths(downstream.length / served),
                beyondLists: hundredths((downstream.length - lists) / served),
              },
              byKind,
              auditLog: {
                management: audited[0],
                downstream: audited.slice(1).reduce((sum, count) => sum + count, 0),
              },
              ecrCalls: ecr.requests.length - ecrBefore,
              processes: run.processMs.length,
              actions,
            });
          }
          progress(
            `${phase} #${repeat + 1} ${mode.name}: ${Math.round(run.ms)} ms, ${round(run.rssKiB / 1024)} MiB, ${proxy.forwarded.length} requests, ${ecr.requests.length - ecrBefore} ECR calls (load ${round(loadavg()[0] ?? 0)})`,
          );
        }
      }
      const figures = Object.fromEntries(
        modes.map((mode) => {
          const runs = samples.get(mode.name) ?? [];
          return [
            mode.name,
            {
              wallMs: summarize(runs.map((run) => run.ms)),
              peakRssMiB: summarize(runs.map((run) => run.rssKiB / 1024)),
              // The loop: each of its processes, one cluster each, over every repeat.
              perProcessMs: summarize(runs.flatMap((run) => run.processMs)),
              ...firsts.get(mode.name),
            },
          ];
        }),
      );
      const loopMs = figures.loop?.wallMs.median ?? Number.NaN;
      const loopRss = figures.loop?.peakRssMiB.median ?? Number.NaN;
      const ratios = Object.fromEntries(
        modes
          .filter((mode) => mode.name !== 'loop')
          .map((mode) => [
            mode.name,
            {
              wallToLoop: hundredths((figures[mode.name]?.wallMs.median ?? 0) / loopMs),
              rssToLoop: hundredths((figures[mode.name]?.peakRssMiB.median ?? 0) / loopRss),
            },
          ]),
      );
      rows.push({ phase, loadAverageAtEnd: loadavg().map(round), ratios, ...figures });
      progress(`${phase}: ${JSON.stringify(ratios)}`);
    }
    const result = {
      benchmark: 'k8s-fleet',
      machine: describeMachine(),
      // Other sessions share the 2 cores with the API servers, the proxy and the CLI.
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg().map(round),
      minutes: round((Date.now() - started) / 60_000),
      kubeApiServer: `v${management.version}`,
      ecrRefresh: { commit: gitHead, cli: 'packages/cli/dist/bundle/ecr-refresh.js' },
      clusters: CLUSTERS,
      namespacesPerCluster: NAMESPACES,
      apiServers: { management: 1, downstream: SERVERS },
      repeatsPerPhase: REPEATS,
      notes: [
        `fleet-<n>: one \`ecr-refresh k8s --rancher-clusters all -n 'b-*'\` with a kubeconfig of Rancher's local cluster (the proxy's /k8s/clusters/local), --cluster-concurrency <n> (4 is the default, passed by omission); --concurrency at its default (8) per cluster.`,
        `loop: a kubeconfig with one context per cluster (server <proxy>/k8s/clusters/<id>, the same token), \`ecr-refresh k8s --context <id> -n 'b-*'\` once per cluster, one after another; wall is the sum of the ${CLUSTERS} runs, peak RSS the largest of them.`,
        `${CLUSTERS} cluster ids on ${SERVERS} downstream kube-apiservers (id i on server i mod ${SERVERS}); the proxy's namespace view per id makes a list of namespaces, Secrets or ServiceAccounts across namespaces answer only the id's ${NAMESPACES} namespaces b-<i>-<n> and the server's own four, as that cluster alone would (the API server itself still reads all of its namespaces' objects for such a list).`,
        'each namespace has a `default` ServiceAccount (created by the bench: no controller-manager), which the CLI references the Secret from (its default).',
        'requests: as the proxy forwarded them (first repeat of each phase); perCluster.lists are GETs of the namespaces, Secrets and ServiceAccounts collections; auditLog counts the same run in the API servers\u2019 audit logs (the Rancher user the proxy impersonates). management is the list of Cluster objects on local.',
        'ECR calls: requests through a pass-through proxy in front of moto during the run.',
        'update is --force; create repeats after deleting every Secret and clearing every ServiceAccount (untimed). Mode order turns each repeat. One untimed --dry-run of each mode before the first timed run (the CLI fills its compile cache).',
        'every run is checked: each of the served namespaces reported created / updated / unchanged as the phase expects.',
      ],
      results: rows,
    };
    writeFileSync(
      join(import.meta.dirname, 'results', 'k8s-fleet.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    progress('wrote bench/results/k8s-fleet.json');
  } finally {
    await proxy.stop();
  }
} finally {
  await Promise.all(servers.map((kube) => kube.stop()));
  await ecr.stop();
  await moto.stop();
  await rm(workdir, { recursive: true, force: true });
}
