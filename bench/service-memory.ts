// Service-mode memory benchmark (issue: service mode). 1000 refresh cycles of the real service
// loop against moto with a fast clock: every sleep jumps the clock past the half-life, so each
// cycle makes a real GetAuthorizationToken call and an atomic config.json write. Records RSS and
// heap (after a forced GC) over the first and last 100 cycles; growth beyond noise means a leak.
// Run: node --expose-gc bench/service-memory.ts   Writes bench/results/service-memory.json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDockerConfigSink,
  createTokenSource,
  parseRegistry,
  runRefreshService,
  type WakeUp,
} from '@ecr-refresh/core';
import { startMoto } from '../test/peers/index.ts';
import { describeMachine, round } from './machine.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const WINDOW = 100;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKE0000';
process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key-for-bench';
const moto = await startMoto();
const dir = mkdtempSync(join(tmpdir(), 'ecr-refresh-bench-memory-'));
let now = Date.now();
const samples: Array<{ cycle: number; rssMiB: number; heapMiB: number }> = [];
// The fast clock: each sleep returns at once and moves time 13 h on, past any half-life.
const wakeUp: WakeUp = {
  trigger() {},
  sleep: async () => {
    now += 13 * 3600_000;
    return 'timer';
  },
};
let cycle = 0;
const started = process.hrtime.bigint();
try {
  await runRefreshService({
    registries: [parseRegistry('123456789012:eu-west-1'), parseRegistry('123456789012:us-east-1')],
    sinks: [createDockerConfigSink({ path: join(dir, 'config.json') })],
    tokenSource: createTokenSource({ endpoint: moto.endpoint, clock: () => new Date(now) }),
    clock: () => new Date(now),
    signal: new AbortController().signal,
    wakeUp,
    maxCycles: CYCLES,
    onCycle: (report) => {
      cycle += 1;
      if (report.totals.failed > 0) throw new Error(`cycle ${cycle} failed`);
      if (cycle <= WINDOW || cycle > CYCLES - WINDOW) {
        gc();
        const usage = process.memoryUsage();
        samples.push({ cycle, rssMiB: usage.rss / 2 ** 20, heapMiB: usage.heapUsed / 2 ** 20 });
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const window = (from: number, to: number) =>
    samples.filter((s) => s.cycle > from && s.cycle <= to);
  // The first cycles warm up lazily loaded code; compare the settled start with the end.
  const first = window(10, WINDOW);
  const last = window(CYCLES - WINDOW, CYCLES);
  const stats = (list: typeof samples) => ({
    peakRssMiB: round(Math.max(...list.map((s) => s.rssMiB))),
    medianHeapMiB: round(
      [...list.map((s) => s.heapMiB)].sort((a, b) => a - b)[Math.floor(list.length / 2)] ??
        Number.NaN,
    ),
  });
  const result = {
    benchmark: 'service-memory',
    machine: describeMachine(),
    cycles: CYCLES,
    ecrCallsPerCycle: 2,
    wallSeconds: round(seconds),
    cyclesPerSecond: round(CYCLES / seconds),
    start: { cycles: `11-${WINDOW}`, ...stats(first) },
    end: { cycles: `${CYCLES - WINDOW + 1}-${CYCLES}`, ...stats(last) },
    goal: 'no growth beyond noise between start and end',
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'service-memory.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await moto.stop();
}
