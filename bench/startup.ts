// Start-up benchmark. Measures, interleaved in one run so machine noise hits every subject alike:
// a bare `node -e ''`, `ecr-refresh --help`, and one-shot `docker-config` and `token` runs against
// moto (a real GetAuthorizationToken each time; docker-config also writes the file atomically).
// Each CLI run twice: warm (Node's compile cache filled by an earlier run, as on a machine that ran
// the CLI before, or in the image, whose cache is baked) and cold (an empty cache directory, as a
// CronJob pod of an image without a baked cache, or the first run after an install, which also
// writes the cache), and the one-shot with the cache turned off (NODE_DISABLE_COMPILE_CACHE=1).
// BENCH_BASELINE=<another build's ecr-refresh.js> adds the same CLI subjects for that build, in the
// same interleaving, for before/after figures. Wall time from spawn to exit; CPU time (user +
// system, steadier than wall time on a shared machine) and peak RSS from GNU time. Writes
// bench/results/startup.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from '../test/peers/index.ts';
import { describeMachine, round, summarize } from './machine.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CLI = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bundle', 'ecr-refresh.js');
const BASELINE = process.env.BENCH_BASELINE;
const TIME = '/usr/bin/time';
const REGISTRY = '123456789012:eu-west-1';

interface Subject {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** A fresh, empty cache directory for every run (XDG_CACHE_HOME). */
  cold?: boolean;
}

function measure(subject: Subject): { ms: number; cpuMs: number; rssKiB: number } {
  const coldCache =
    subject.cold === true ? mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-cold-')) : undefined;
  const started = process.hrtime.bigint();
  const run = spawnSync(TIME, ['-f', '%M %U %S', process.execPath, ...subject.args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...subject.env,
      ...(coldCache === undefined ? {} : { XDG_CACHE_HOME: coldCache }),
    },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (coldCache !== undefined) rmSync(coldCache, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`${subject.name} exited ${run.status}: ${run.stderr}`);
  const [rssKiB, user, system] = (run.stderr.trim().split('\n').at(-1) ?? '')
    .split(' ')
    .map(Number);
  return {
    ms,
    cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000,
    rssKiB: rssKiB ?? Number.NaN,
  };
}

const moto = await startMoto();
const dockerDir = mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-'));
// A warm cache directory of the bench's own, so that no earlier run's cache is measured.
const cacheDir = mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-cache-'));
try {
  const aws = {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench',
    XDG_CACHE_HOME: cacheDir,
  };
  const cliSubjects = (cli: string, label: string): Subject[] => {
    const dockerConfig = [
      cli,
      'docker-config',
      '-r',
      REGISTRY,
      '--force',
      '--log-level',
      'warn',
      '--endpoint-url',
      moto.endpoint,
    ];
    const token = [
      cli,
      'token',
      '-r',
      REGISTRY,
      '--log-level',
      'warn',
      '--endpoint-url',
      moto.endpoint,
    ];
    return [
      { name: `${label} --help, warm`, args: [cli, '--help'], env: { XDG_CACHE_HOME: cacheDir } },
      { name: `${label} --help, cold`, args: [cli, '--help'], cold: true },
      {
        name: `${label} docker-config one-shot, warm`,
        args: dockerConfig,
        env: { ...aws, DOCKER_CONFIG: dockerDir },
      },
      {
        name: `${label} docker-config one-shot, cold`,
        args: dockerConfig,
        env: { ...aws, DOCKER_CONFIG: dockerDir },
        cold: true,
      },
      {
        name: `${label} docker-config one-shot, no cache`,
        args: dockerConfig,
        env: { ...aws, DOCKER_CONFIG: dockerDir, NODE_DISABLE_COMPILE_CACHE: '1' },
      },
      { name: `${label} token, warm`, args: token, env: aws },
    ];
  };
  const subjects: Subject[] = [
    { name: 'bare node -e ""', args: ['-e', ''] },
    ...cliSubjects(CLI, 'ecr-refresh'),
    ...(BASELINE === undefined ? [] : cliSubjects(BASELINE, 'baseline')),
  ];
  // One warm-up each: the first start fills the OS page cache and the warm compile cache.
  for (const subject of subjects) measure(subject);
  const samples = new Map(
    subjects.map((subject) => [subject.name, [] as Array<ReturnType<typeof measure>>]),
  );
  for (let i = 0; i < RUNS; i += 1) {
    for (const subject of subjects) samples.get(subject.name)?.push(measure(subject));
  }
  const figures = subjects.map((subject) => {
    const runs = samples.get(subject.name) ?? [];
    return {
      name: subject.name,
      wallMs: summarize(runs.map((r) => r.ms)),
      cpuMs: summarize(runs.map((r) => r.cpuMs)),
      peakRssMiB: summarize(runs.map((r) => r.rssKiB / 1024)),
    };
  });
  const bare = figures[0]?.wallMs.median ?? Number.NaN;
  const bareCpu = figures[0]?.cpuMs.median ?? Number.NaN;
  const result = {
    benchmark: 'startup',
    machine: describeMachine(),
    runsPerSubject: RUNS,
    ...(BASELINE === undefined ? {} : { baseline: BASELINE }),
    subjects: figures.map((figure) => ({
      ...figure,
      ratioToBareNode: round(figure.wallMs.median / bare),
      cpuRatioToBareNode: round(figure.cpuMs.median / bareCpu),
    })),
    goals: { helpWithin: '2x bare node', oneShotRefreshWithin: '5x bare node' },
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'startup.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  for (const subject of result.subjects) {
    const wall = `wall ${String(subject.wallMs.median).padStart(6)} ms (p90 ${String(subject.wallMs.p90).padStart(6)}) ${String(subject.ratioToBareNode).padStart(4)}x`;
    const cpu = `CPU ${String(subject.cpuMs.median).padStart(4)} ms ${String(subject.cpuRatioToBareNode).padStart(4)}x`;
    process.stdout.write(
      `${subject.name.padEnd(40)} ${wall}  ${cpu}  peak RSS ${subject.peakRssMiB.median} MiB\n`,
    );
  }
} finally {
  rmSync(dockerDir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  await moto.stop();
}
