import assert from 'node:assert/strict';
import { silentLogger, type Sink } from '@ecr-refresh/core';

/** A running `watch` of a sink and the reasons it reported so far. */
export interface RunningWatch {
  readonly reasons: string[];
  /** Resolves with the reasons once one matches `pattern`; rejects after a second. */
  until(pattern: RegExp): Promise<string[]>;
  /** Aborts the watch and resolves once it stopped. */
  stop(): Promise<void>;
}

/** Starts `sink.watch`, collecting every reason it reports. */
export function startSinkWatch(sink: Sink): RunningWatch {
  const controller = new AbortController();
  const reasons: string[] = [];
  const stopped = sink.watch?.({
    signal: controller.signal,
    logger: silentLogger,
    onChange: (reason) => reasons.push(reason),
  });
  assert.ok(stopped !== undefined, `the ${sink.id} sink offers watch`);
  return {
    reasons,
    async until(pattern) {
      const deadline = Date.now() + 1000;
      while (!reasons.some((reason) => pattern.test(reason))) {
        if (Date.now() > deadline)
          throw new Error(`no change matching ${pattern}; seen: ${JSON.stringify(reasons)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return reasons;
    },
    async stop() {
      controller.abort();
      await stopped;
    },
  };
}

/** Lets every pending watch step run (a few timer turns), so that "nothing was reported" means something. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** Watch reconnect delays short enough for unit tests. */
export const QUICK_BACKOFF = { backoffInitialMs: 2, backoffMaxMs: 10 };
