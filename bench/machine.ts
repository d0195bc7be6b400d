import { cpus, totalmem } from 'node:os';

/** The machine and moment a benchmark ran on, committed with its figures. */
export function describeMachine(): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Median and 90th percentile of a sample, in the sample's unit. */
export function summarize(samples: readonly number[]): {
  median: number;
  p90: number;
  min: number;
  runs: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    median: round(at(0.5)),
    p90: round(at(0.9)),
    min: round(sorted[0] ?? Number.NaN),
    runs: sorted.length,
  };
}

/** Rounds to 0.1. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}
