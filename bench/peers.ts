// The peer tools in our own bench (issue 15, item 4). On a private kube-apiserver (with etcd) and
// moto, at 10, 100 and 1000 namespaces, interleaved in one run:
//   ecr-refresh     the built CLI (packages/cli/dist/bundle/ecr-refresh.js) in a new process, as a
//                   user runs it: `k8s -r <host> -n '<prefix>*'`, default concurrency, the Secret
//                   referenced from each namespace's `default` ServiceAccount (its default);
//   ecr-refresh-no-sa  the same with `--service-account none` (no ServiceAccount read or written);
//   nab             nabsul/k8s-ecr-login-renew built from source (bench/nab/build.sh, cached outside
//                   the clone) with the patch that lets it reach moto and honour KUBECONFIG, run as
//                   its CronJob runs it (DOCKER_SECRET_NAME, TARGET_NAMESPACE, AWS_REGION); it writes
//                   the Secret and references it from no ServiceAccount;
//   blog-post       the blog post's script (bench/blog-post-job.sh: `aws ecr get-login`, kubectl
//                   delete/create secret, get events, patch serviceaccount) once per namespace, at
//                   10 and 100 namespaces only, as a reference.
// Phases: create (first run), update (ecr-refresh --force; NAB and the script always rewrite),
// unchanged (a fresh run). Each tool has its own namespaces and its own ServiceAccount identity, so
// the API server's audit log counts each tool's requests; ECR calls are counted by a pass-through
// proxy in front of moto. Wall time from spawn to exit, peak RSS from GNU time's %M. Then service
// mode: `ecr-refresh k8s --watch` over 1000 fresh namespaces, RSS of its process tree sampled until
// ready and for BENCH_SERVICE_SECONDS after, with one change-triggered cycle in the middle.
//   node bench/peers.ts     (BENCH_SIZES=10,100 BENCH_REPEATS=3 BENCH_BLOG_SIZES=10,100
//                            BENCH_BLOG_REPEATS=1 BENCH_SERVICE_NAMESPACES=1000 (0: skip)
//                            BENCH_SERVICE_SECONDS=60)
// Writes bench/results/peers.json and prints a markdown table. Loopback only; builds what is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  startFaultProxy,
  startKubeApiServer,
  startMoto,
  type FaultProxy,
  type KubeApiServer,
} from '../test/peers/index.ts';
import { runScript } from '../test/peers/run-script.ts';
import {
  clientIdentity,
  CLI,
  createNamespaces,
  k8sCliArgs,
  requestsSince,
  resetNamespaces,
  timed,
  type TimedRun,
} from './kube-bench.ts';
import { describeMachine, round, summarize } from './machine.ts';

const list = (value: string | undefined, fallback: string) =>
  (value ?? fallback)
    .split(',')
    .filter((part) => part !== '')
    .map(Number);
const SIZES = list(process.env.BENCH_SIZES, '10,100,1000');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const BLOG_SIZES = list(process.env.BENCH_BLOG_SIZES, '10,100');
const BLOG_REPEATS = Number(process.env.BENCH_BLOG_REPEATS ?? 1);
const SERVICE_NAMESPACES = Number(process.env.BENCH_SERVICE_NAMESPACES ?? 1000);
const SERVICE_SECONDS = Number(process.env.BENCH_SERVICE_SECONDS ?? 60);
const ROOT = join(import.meta.dirname, '..');
const BLOG_JOB = join(import.meta.dirname, 'blog-post-job.sh');
const NAB_BUILD = join(import.meta.dirname, 'nab', 'build.sh');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const SECRET = 'ecr-pull-credentials';
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench',
  AWS_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
};
const PHASES = ['create', 'update', 'unchanged'] as const;
type Phase = (typeof PHASES)[number];
type ToolName = 'ecr-refresh' | 'ecr-refresh-no-sa' | 'nab' | 'blog-post';

interface Tool {
  name: ToolName;
  /** The tool's own API server for the size being run. */
  kube: KubeApiServer;
  /** Short, for namespace names. */
  tag: string;
  user: string;
  sizes: readonly number[];
  phases: readonly Phase[];
  repeats: number;
  secretName(namespace: string): string;
  run(prefix: string, names: readonly string[], phase: Phase): Promise<TimedRun>;
}

const progress = (text: string) =>
  process.stderr.write(`[peers ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** The built CLI, built first when missing (the numbers are for whatever is built). */
function ensureCli(): void {
  if (existsSync(CLI)) return;
  progress(`${CLI} missing: npm run build`);
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0 || !existsSync(CLI)) throw new Error('npm run build failed');
}

/** Warns when a package's source changed after the CLI was built: the figures would be of an older build. */
function warnIfStale(): void {
  const builtAt = statSync(CLI).mtimeMs;
  const changed = spawnSync(
    'git',
    ['-C', ROOT, 'ls-files', '-m', '-o', '--exclude-standard', '--', 'packages/*/src'],
    { encoding: 'utf8' },
  )
    .stdout.split('\n')
    .filter((path) => path !== '');
  const lastCommit =
    Number(
      spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%ct', '--', 'packages'], {
        encoding: 'utf8',
      }).stdout.trim(),
    ) * 1000;
  const newer = changed.filter(
    (path) => (statSync(join(ROOT, path), { throwIfNoEntry: false })?.mtimeMs ?? 0) > builtAt,
  );
  if (lastCommit > builtAt || newer.length > 0)
    progress(
      `warning: packages/ changed after ${CLI} was built (${newer.length} files, last commit ${new Date(lastCommit).toISOString()}): run npm run build for current figures`,
    );
}

/** RSS of a process and all its descendants, in KiB (0 once it is gone). */
function treeRssKiB(pid: number): number {
  let total = 0;
  try {
    total += Number(
      /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0,
    );
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter((part) => part.trim() !== ''))
        total += treeRssKiB(Number(child));
    }
  } catch {
    // The process ended while it was read.
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One tool's figures for one size and phase. */
interface Figure {
  wallMs: ReturnType<typeof summarize>;
  peakRssMiB: ReturnType<typeof summarize>;
  requests: number;
  requestsPerNamespace: ReturnType<typeof perNamespace>;
  byResource: Record<string, number>;
  ecrCalls: number;
  actions?: Record<string, number>;
}

/** One size and phase: each tool that ran, and ecr-refresh against NAB. */
type Row = {
  namespaces: number;
  phase: Phase;
  ratios: { wallToNab: number; rssToNab: number };
} & Partial<Record<ToolName, Figure>>;

interface Counted {
  count: number;
  byResource: Record<string, number>;
}

function perNamespace(counted: Counted, size: number) {
  const sum = (test: (resource: string, verb: string) => boolean) =>
    Object.entries(counted.byResource)
      .filter(([key]) => test(...(key.split(' ') as [string, string])))
      .reduce((total, [, n]) => total + n, 0);
  const writes = new Set(['create', 'update', 'patch', 'delete']);
  return {
    total: round(counted.count / size),
    secrets: round(sum((resource) => resource === 'secrets') / size),
    secretWrites: round(sum((resource, verb) => resource === 'secrets' && writes.has(verb)) / size),
    serviceaccounts: round(sum((resource) => resource === 'serviceaccounts') / size),
    serviceaccountWrites: round(
      sum((resource, verb) => resource === 'serviceaccounts' && writes.has(verb)) / size,
    ),
    other: round(
      sum((resource) => resource !== 'secrets' && resource !== 'serviceaccounts') / size,
    ),
  };
}

/** `ecr-refresh k8s --watch` over `size` fresh namespaces: RSS of its process tree over a bounded time. */
async function serviceMemory(
  kube: KubeApiServer,
  ecr: FaultProxy,
  size: number,
  seconds: number,
  nodeOptions: string,
) {
  const identity = await clientIdentity(kube, 'service');
  const kubeconfig = await kube.kubeconfigForToken(identity.token);
  const prefix = `s${size}-svc-`;
  const names = Array.from({ length: size }, (_, index) => `${prefix}${index}`);
  progress(`service mode: creating ${size} namespaces`);
  await createNamespaces(kube, names);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const ecrBefore = ecr.requests.length;
  const auditBefore = (await requestsSince(kube, identity.user, 0)).count;
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
      ecr.url,
      '--kubeconfig',
      kubeconfig,
      '-n',
      `${prefix}*`,
      '--log-level',
      'warn',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...AWS_ENV,
        ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const started = performance.now();
  const samples: Array<{ s: number; rssMiB: number }> = [];
  const sample = () =>
    samples.push({
      s: round((performance.now() - started) / 1000),
      rssMiB: round(treeRssKiB(service.pid ?? 0) / 1024),
    });
  const sampler = setInterval(sample, 250);
  try {
    while (
      (await fetch(`${base}/readyz`).then(
        (response) => response.status,
        () => 0,
      )) !== 200
    ) {
      if (service.exitCode !== null) throw new Error(`the service exited ${service.exitCode}`);
      if (performance.now() - started > 180_000)
        throw new Error('the service did not turn ready in 180 s');
      await sleep(100);
    }
    const readyS = round((performance.now() - started) / 1000);
    const afterFirst = await requestsSince(kube, identity.user, auditBefore);
    progress(
      `service mode: ready after ${readyS} s (first refresh of ${size} namespaces); sampling ${seconds} s`,
    );
    const windowStart = performance.now();
    // A third of the way in, a change forces a cycle: one managed Secret deleted, the service rewrites it.
    await sleep((seconds * 1000) / 3);
    const victim = names[Math.floor(size / 2)] as string;
    const deleted = await kube.request('DELETE', `/api/v1/namespaces/${victim}/secrets/${SECRET}`);
    if (deleted.status !== 200) throw new Error(`delete ${victim}/${SECRET}: ${deleted.status}`);
    const forcedAt = performance.now();
    while (
      (await kube.request('GET', `/api/v1/namespaces/${victim}/secrets/${SECRET}`)).status !== 200
    ) {
      if (performance.now() - forcedAt > 60_000)
        throw new Error(`the service did not write ${victim}/${SECRET} again within 60 s`);
      await sleep(50);
    }
    const forcedCycleMs = round(performance.now() - forcedAt);
    const rest = seconds * 1000 - (performance.now() - windowStart);
    if (rest > 0) await sleep(rest);
    clearInterval(sampler);
    sample();
    const readyAt = samples.findIndex((entry) => entry.s >= readyS);
    const after = samples.slice(readyAt);
    const lastThird = samples.filter((entry) => entry.s >= readyS + (2 * seconds) / 3);
    const all = await requestsSince(kube, identity.user, auditBefore);
    return {
      namespaces: size,
      nodeOptions,
      secondsSampledAfterReady: seconds,
      sampleEveryMs: 250,
      readyAfterS: readyS,
      firstRefreshRequests: afterFirst.count - auditBefore,
      forcedCycle: {
        trigger: `Secret ${victim}/${SECRET} deleted ${round(seconds / 3)} s after ready`,
        rewrittenAfterMs: forcedCycleMs,
      },
      requestsInWindow: all.count - afterFirst.count,
      ecrCalls: ecr.requests.length - ecrBefore,
      peakRssMiB: round(Math.max(...samples.map((entry) => entry.rssMiB))),
      peakRssAfterReadyMiB: round(Math.max(...after.map((entry) => entry.rssMiB))),
      steadyRssMiB: summarize(lastThird.map((entry) => entry.rssMiB)),
      finalRssMiB: samples.at(-1)?.rssMiB,
      // Every 2 s, to keep the file short.
      samples: samples.filter((_, index) => index % 8 === 0),
    };
  } finally {
    clearInterval(sampler);
    service.kill('SIGTERM');
    await new Promise((resolve) =>
      service.exitCode === null ? service.once('exit', resolve) : resolve(undefined),
    );
  }
}

/** The NODE_OPTIONS the container image sets (Containerfile), so service mode is measured as it is shipped too. */
function imageNodeOptions(): string {
  const options = /NODE_OPTIONS=(\S+)/.exec(readFileSync(join(ROOT, 'Containerfile'), 'utf8'))?.[1];
  if (options === undefined) throw new Error('the Containerfile sets no NODE_OPTIONS');
  return options;
}

/** A private API server for `work`, stopped after it. */
async function withKube<T>(work: (kube: KubeApiServer) => Promise<T>): Promise<T> {
  const kube = await startKubeApiServer();
  try {
    return await work(kube);
  } finally {
    await kube.stop();
  }
}

/** The tools that run at `size`, each on a new API server of its own, as itself there, warmed up. */
async function toolsFor(size: number): Promise<Tool[]> {
  const candidates: Array<
    Omit<Tool, 'kube' | 'user' | 'run'> & { run(kubeconfig: string): Tool['run'] }
  > = [
    {
      name: 'ecr-refresh',
      tag: 'cli',
      sizes: SIZES,
      phases: PHASES,
      repeats: REPEATS,
      secretName: () => SECRET,
      run: (kubeconfig) => cliRun(kubeconfig, []),
    },
    {
      name: 'ecr-refresh-no-sa',
      tag: 'nosa',
      sizes: SIZES,
      phases: PHASES,
      repeats: REPEATS,
      secretName: () => SECRET,
      run: (kubeconfig) => cliRun(kubeconfig, ['--service-account', 'none']),
    },
    {
      name: 'nab',
      tag: 'nab',
      sizes: SIZES,
      phases: PHASES,
      repeats: REPEATS,
      secretName: () => SECRET,
      // As its CronJob runs it; AWS_ENDPOINT_URL and KUBECONFIG are what the patch adds.
      run: (kubeconfig) => (prefix) =>
        timed(NAB, [], {
          ...AWS_ENV,
          AWS_ENDPOINT_URL: ecr.url,
          KUBECONFIG: kubeconfig,
          DOCKER_SECRET_NAME: SECRET,
          TARGET_NAMESPACE: `${prefix}*`,
        }),
    },
    {
      // The script always deletes and creates: its update and unchanged runs are the same run.
      name: 'blog-post',
      tag: 'blog',
      sizes: SIZES.filter((candidate) => BLOG_SIZES.includes(candidate)),
      phases: ['create', 'update'],
      repeats: BLOG_REPEATS,
      secretName: (namespace) => `ecr-${namespace}`,
      run: (kubeconfig) => (_prefix, names) =>
        timed('sh', [BLOG_JOB, ...names], {
          ...AWS_ENV,
          AWS_DEFAULT_REGION: REGION,
          AWS_ACCOUNT_NUMBER: ACCOUNT,
          EMAIL: 'bench@example.test',
          ECR_ENDPOINT: ecr.url,
          KUBECONFIG: kubeconfig,
        }),
    },
  ];
  const tools: Tool[] = [];
  for (const candidate of candidates.filter((tool) => tool.sizes.includes(size))) {
    const kube = await startKubeApiServer();
    const { token, user } = await clientIdentity(kube, candidate.name);
    tools.push({
      ...candidate,
      kube,
      user,
      run: candidate.run(await kube.kubeconfigForToken(token)),
    });
  }
  // One untimed run of each binary first: the files of every tool come into the page cache, and
  // the CLI fills its compile cache.
  progress(
    `${size} namespaces: an API server each for ${tools.map((tool) => tool.name).join(', ')}; one untimed run of each binary`,
  );
  for (const tool of tools.filter((candidate) => candidate.name !== 'blog-post')) {
    await createNamespaces(tool.kube, [`warm-${tool.tag}-0`]);
    await tool.run(`warm-${tool.tag}-`, [`warm-${tool.tag}-0`], 'create');
  }
  return tools;
}

function cliRun(kubeconfig: string, extra: string[]): Tool['run'] {
  return (prefix, _names, phase) =>
    timed(
      process.execPath,
      k8sCliArgs({
        registry: HOST,
        endpointUrl: ecr.url,
        kubeconfig,
        namespaces: `${prefix}*`,
        phase,
        extra,
      }),
      AWS_ENV,
    );
}

/** Every phase at `size`, the tools interleaved: one row per phase. */
async function runSize(size: number, tools: readonly Tool[]): Promise<Row[]> {
  const rows: Row[] = [];
  const seen = new Map<string, number>(
    await Promise.all(
      tools.map(
        async (tool) => [tool.name, (await requestsSince(tool.kube, tool.user, 0)).count] as const,
      ),
    ),
  );
  const prefixOf = (tool: Tool) => `p${size}-${tool.tag}-`;
  const namesOf = (tool: Tool) =>
    Array.from({ length: size }, (_, index) => `${prefixOf(tool)}${index}`);
  progress(`${size} namespaces: creating ${size} for each tool`);
  for (const tool of tools) await createNamespaces(tool.kube, namesOf(tool));
  for (const phase of PHASES) {
    const running = tools.filter((tool) => tool.phases.includes(phase));
    const samples = new Map<ToolName, TimedRun[]>(running.map((tool) => [tool.name, []]));
    const firsts = new Map<ToolName, { counted: Counted; ecrCalls: number; stdout: string }>();
    const repeats = Math.max(...running.map((tool) => tool.repeats));
    for (let repeat = 0; repeat < repeats; repeat += 1) {
      // The order turns each repeat, so no tool always runs right after another's load.
      const order = running
        .map((_, index) => running[(index + repeat) % running.length] as Tool)
        .filter((tool) => repeat < tool.repeats);
      for (const tool of order) {
        if (phase === 'create' && repeat > 0)
          await resetNamespaces(tool.kube, namesOf(tool), tool.secretName);
        const ecrBefore = ecr.requests.length;
        const run = await tool.run(prefixOf(tool), namesOf(tool), phase);
        samples.get(tool.name)?.push(run);
        const counted = await requestsSince(tool.kube, tool.user, seen.get(tool.name) ?? 0);
        if (repeat === 0)
          firsts.set(tool.name, {
            counted: {
              count: counted.count - (seen.get(tool.name) ?? 0),
              byResource: counted.byResource,
            },
            ecrCalls: ecr.requests.length - ecrBefore,
            stdout: run.stdout,
          });
        seen.set(tool.name, counted.count);
        progress(
          `${size} ${phase} ${tool.name}: ${Math.round(run.ms)} ms, ${round(run.rssKiB / 1024)} MiB`,
        );
      }
    }
    const figures: Partial<Record<ToolName, Figure>> = {};
    for (const tool of running)
      figures[tool.name] = figureOf(
        tool,
        samples.get(tool.name) ?? [],
        firsts.get(tool.name),
        size,
      );
    const ratio = (pick: (figure: Figure) => number) =>
      Math.round((100 * pick(figures['ecr-refresh'] as Figure)) / pick(figures.nab as Figure)) /
      100;
    const ratios = {
      wallToNab: ratio((figure) => figure.wallMs.median),
      rssToNab: ratio((figure) => figure.peakRssMiB.median),
    };
    rows.push({ namespaces: size, phase, ratios, ...figures });
    progress(`${size} ${phase}: wall ${ratios.wallToNab}x NAB, RSS ${ratios.rssToNab}x NAB`);
  }
  return rows;
}

function figureOf(
  tool: Tool,
  runs: readonly TimedRun[],
  first: { counted: Counted; ecrCalls: number; stdout: string } | undefined,
  size: number,
): Figure {
  const counted = first?.counted ?? { count: 0, byResource: {} };
  const figure: Figure = {
    wallMs: summarize(runs.map((run) => run.ms)),
    peakRssMiB: summarize(runs.map((run) => run.rssKiB / 1024)),
    requests: counted.count,
    requestsPerNamespace: perNamespace(counted, size),
    byResource: counted.byResource,
    ecrCalls: first?.ecrCalls ?? 0,
  };
  if (tool.name.startsWith('ecr-refresh')) {
    // --output json: one result per target; its actions check what the run did.
    const actions: Record<string, number> = {};
    for (const match of (first?.stdout ?? '').matchAll(/"action":\s*"(\w+)"/g))
      actions[match[1] as string] = (actions[match[1] as string] ?? 0) + 1;
    figure.actions = actions;
  }
  return figure;
}

const loadAtStart = loadavg().map(round);
const started = Date.now();
ensureCli();
warnIfStale();
progress('NAB: bench/nab/build.sh (cached after the first build)');
const NAB = await runScript(NAB_BUILD);
const cliVersion = spawnSync(process.execPath, [CLI, '--version'], {
  encoding: 'utf8',
}).stdout.trim();
const gitHead = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%h %s'], {
  encoding: 'utf8',
}).stdout.trim();
progress(`ecr-refresh ${cliVersion} (${gitHead}); NAB ${NAB}`);
const moto = await startMoto();
// Every ECR call of every tool passes this proxy (plain pass-through), so runs can count them.
const ecr = await startFaultProxy(moto.endpoint);
let kubeVersion = '';
try {
  const rows: Row[] = [];
  for (const size of SIZES) {
    // Each tool gets its own API server for each size, holding its `size` namespaces and the
    // server's own: a list then answers what it would in a cluster of that size.
    const tools = await toolsFor(size);
    try {
      kubeVersion = tools[0]?.kube.version ?? kubeVersion;
      rows.push(...(await runSize(size, tools)));
    } finally {
      await Promise.all(tools.map((tool) => tool.kube.stop()));
    }
  }

  // As the CLI runs anywhere, then as the container image runs it (its NODE_OPTIONS).
  const service = [];
  for (const nodeOptions of SERVICE_NAMESPACES > 0 ? ['', imageNodeOptions()] : []) {
    service.push(
      await withKube((kube) =>
        serviceMemory(kube, ecr, SERVICE_NAMESPACES, SERVICE_SECONDS, nodeOptions),
      ),
    );
  }

  // The goals of issue 15 (items 1-2), checked on this run.
  const at = (size: number, phase: Phase) =>
    rows.find((row) => row.namespaces === size && row.phase === phase);
  const goals: Array<{ goal: string; measured: string; met: boolean }> = [];
  const unchanged = rows.filter((row) => row.phase === 'unchanged');
  goals.push({
    goal: 'unchanged run <= 5 API requests per cluster at any size',
    measured: unchanged
      .map((row) => `${row.namespaces}: ${row['ecr-refresh']?.requests}`)
      .join(', '),
    met: unchanged.every((row) => (row['ecr-refresh']?.requests ?? Infinity) <= 5),
  });
  const updates = rows.filter((row) => row.phase === 'update');
  goals.push({
    goal: 'update <= 1.1 Secret requests per namespace',
    measured: updates
      .map((row) => `${row.namespaces}: ${row['ecr-refresh']?.requestsPerNamespace.secrets}`)
      .join(', '),
    met: updates.every(
      (row) => (row['ecr-refresh']?.requestsPerNamespace.secrets ?? Infinity) <= 1.1,
    ),
  });
  goals.push({
    goal: 'ServiceAccount written only when our reference is missing (create: 1 per namespace; update, unchanged: 0)',
    measured: rows
      .map(
        (row) =>
          `${row.namespaces} ${row.phase}: ${row['ecr-refresh']?.requestsPerNamespace.serviceaccountWrites}`,
      )
      .join(', '),
    met: rows.every(
      (row) =>
        row['ecr-refresh']?.requestsPerNamespace.serviceaccountWrites ===
        (row.phase === 'create' ? 1 : 0),
    ),
  });
  goals.push({
    goal: 'peak RSS <= 2x NAB at every size and phase',
    measured: rows
      .map((row) => `${row.namespaces} ${row.phase}: ${row.ratios.rssToNab}x`)
      .join(', '),
    met: rows.every((row) => row.ratios.rssToNab <= 2),
  });
  for (const run of service) {
    const how = run.nodeOptions === '' ? 'the CLI' : `the image's NODE_OPTIONS=${run.nodeOptions}`;
    goals.push({
      goal: `service mode at ${run.namespaces} namespaces, ${how}: steady RSS <= 80 MiB`,
      measured: `median ${run.steadyRssMiB.median} MiB over the last third of ${run.secondsSampledAfterReady} s (peak after ready ${run.peakRssAfterReadyMiB})`,
      met: run.steadyRssMiB.median <= 80,
    });
  }
  for (const [phase, limit] of [
    ['unchanged', 1.5],
    ['create', 2],
    ['update', 2],
  ] as const) {
    const row = at(10, phase);
    if (row !== undefined)
      goals.push({
        goal: `wall at 10 namespaces, ${phase}: <= ${limit}x NAB`,
        measured: `${row.ratios.wallToNab}x`,
        met: row.ratios.wallToNab <= limit,
      });
  }
  for (const phase of PHASES) {
    const row = at(1000, phase);
    if (row !== undefined)
      goals.push({
        goal: `wall at 1000 namespaces, ${phase}: <= 0.5x NAB (default concurrency)`,
        measured: `${row.ratios.wallToNab}x`,
        met: row.ratios.wallToNab <= 0.5,
      });
  }

  const result = {
    benchmark: 'peers',
    machine: describeMachine(),
    // Other work on the machine shares its 2 cores with the API server, moto and every tool.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map(round),
    minutes: round((Date.now() - started) / 60_000),
    kubeApiServer: `v${kubeVersion}`,
    ecrRefresh: {
      version: cliVersion,
      commit: gitHead,
      cli: 'packages/cli/dist/bundle/ecr-refresh.js',
      concurrency: 'default',
    },
    nab: {
      commit: '02386dee20b30e19070a282b7bf1e734537efa31',
      patch: 'shared/peers/nab/endpoint-and-kubeconfig.patch (AWS_ENDPOINT_URL, KUBECONFIG)',
      binary: NAB,
    },
    repeatsPerPhase: REPEATS,
    blogPostRepeatsPerPhase: BLOG_REPEATS,
    notes: [
      "Each tool has its own API server (with etcd) for each size, holding its namespaces (p<size>-<tool>-<n>, each with a `default` ServiceAccount), one warm-up namespace and the server's own, and its own ServiceAccount identity; requests are counted by the API server (audit log), first repeat of each phase.",
      'wall and RSS are medians over the repeats; RSS is GNU time %M (for the blog script: its largest process, the aws CLI or kubectl).',
      'ecr-refresh references the Secret from the `default` ServiceAccount (its default); ecr-refresh-no-sa runs with --service-account none. NAB references it from no ServiceAccount; the blog script patches `default`, replacing its whole imagePullSecrets list.',
      'update: ecr-refresh --force. NAB has no unchanged path (every run GETs and PUTs each Secret); the blog script deletes and creates every run, so it runs create and update only.',
      'ECR calls: requests through a pass-through proxy in front of moto during the run (all are ECR API calls).',
      'create repeats after deleting the Secrets and clearing the ServiceAccounts (untimed). Tool order turns each repeat. ecr-refresh and NAB ran once, untimed, on one other namespace before the first timed run (the CLI writes its code cache on its first run).',
    ],
    goals,
    results: rows,
    ...(service.length === 0 ? {} : { serviceMode: service }),
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'peers.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );

  // The table for bench/README.md.
  const lines = [
    '| namespaces | phase | tool | wall ms | peak RSS MiB | requests/ns (Secret, SA, other) | ECR calls |',
    '| ---: | --- | --- | ---: | ---: | --- | ---: |',
  ];
  for (const row of rows) {
    for (const name of ['ecr-refresh', 'ecr-refresh-no-sa', 'nab', 'blog-post'] as const) {
      const figure = row[name];
      if (figure === undefined) continue;
      const per = figure.requestsPerNamespace;
      lines.push(
        `| ${row.namespaces} | ${row.phase} | ${name} | ${Math.round(figure.wallMs.median)} | ${figure.peakRssMiB.median} | ${per.total} (${per.secrets}, ${per.serviceaccounts}, ${per.other}); ${figure.requests} in all | ${figure.ecrCalls} |`,
      );
    }
    lines.push(
      `| ${row.namespaces} | ${row.phase} | **ecr-refresh / NAB** | **${row.ratios.wallToNab}×** | **${row.ratios.rssToNab}×** | | |`,
    );
  }
  lines.push(
    '',
    '| goal | measured | met |',
    '| --- | --- | --- |',
    ...goals.map((goal) => `| ${goal.goal} | ${goal.measured} | ${goal.met ? 'yes' : '**no**'} |`),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await ecr.stop();
  await moto.stop();
}
