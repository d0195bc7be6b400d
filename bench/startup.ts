// Start-up benchmark (issue: foundation). Measures, interleaved in one run so machine noise hits
// every subject alike: a bare `node -e ''`, `ecr-refresh --help`, and a one-shot `docker-config`
// refresh against moto (a real GetAuthorizationToken and an atomic write each time), the latter
// also without the CLI's code cache, as a first run after an install or upgrade starts.
// Wall time from spawn to exit; peak RSS from GNU time's %M. Writes bench/results/startup.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from '../test/peers/index.ts';
import { describeMachine, round, summarize } from './machine.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CLI = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bundle', 'ecr-refresh.js');
const TIME = '/usr/bin/time';

interface Subject {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

function measure(subject: Subject): { ms: number; rssKiB: number } {
  const started = process.hrtime.bigint();
  const run = spawnSync(TIME, ['-f', '%M', process.execPath, ...subject.args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...subject.env },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${subject.name} exited ${run.status}: ${run.stderr}`);
  const rssKiB = Number(run.stderr.trim().split('\n').at(-1));
  return { ms, rssKiB };
}

const moto = await startMoto();
const dockerDir = mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-'));
// A cache directory of the bench's own, so that no earlier run's code cache is measured.
const cacheDir = mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-cache-'));
try {
  const refresh = {
    args: [CLI, 'docker-config', '-r', '123456789012:eu-west-1', '--force', '--log-level', 'warn', '--endpoint-url', moto.endpoint],
    env: { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000', AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-bench', DOCKER_CONFIG: dockerDir, XDG_CACHE_HOME: cacheDir },
  };
  const subjects: Subject[] = [
    { name: 'bare node -e ""', args: ['-e', ''] },
    { name: 'ecr-refresh --help', args: [CLI, '--help'], env: { XDG_CACHE_HOME: cacheDir } },
    { name: 'ecr-refresh docker-config (one-shot refresh against moto)', ...refresh },
    { name: 'ecr-refresh docker-config, no code cache (a first run)', args: refresh.args, env: { ...refresh.env, NODE_DISABLE_COMPILE_CACHE: '1' } },
  ];
  // One warm-up each: the first start fills the OS page cache and the CLI's code cache.
  for (const subject of subjects) measure(subject);
  const samples = new Map(subjects.map((subject) => [subject.name, [] as Array<{ ms: number; rssKiB: number }>]));
  for (let i = 0; i < RUNS; i += 1) {
    for (const subject of subjects) samples.get(subject.name)?.push(measure(subject));
  }
  const figures = subjects.map((subject) => {
    const runs = samples.get(subject.name) ?? [];
    return { name: subject.name, wallMs: summarize(runs.map((r) => r.ms)), peakRssMiB: summarize(runs.map((r) => r.rssKiB / 1024)) };
  });
  const bare = figures[0]?.wallMs.median ?? Number.NaN;
  const result = {
    benchmark: 'startup',
    machine: describeMachine(),
    runsPerSubject: RUNS,
    subjects: figures.map((figure) => ({ ...figure, ratioToBareNode: round(figure.wallMs.median / bare) })),
    goals: { helpWithin: '2x bare node', oneShotRefreshWithin: '5x bare node' },
  };
  writeFileSync(join(import.meta.dirname, 'results', 'startup.json'), `${JSON.stringify(result, null, 2)}\n`);
  for (const subject of result.subjects) {
    process.stdout.write(`${subject.name.padEnd(58)} median ${String(subject.wallMs.median).padStart(6)} ms  p90 ${String(subject.wallMs.p90).padStart(6)} ms  ${subject.ratioToBareNode}x  peak RSS ${subject.peakRssMiB.median} MiB\n`);
  }
} finally {
  rmSync(dockerDir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  await moto.stop();
}
