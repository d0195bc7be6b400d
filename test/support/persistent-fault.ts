import assert from 'node:assert/strict';
import type { CliRun } from './run-cli.ts';

/** What a persistent fault must end in: exit 1, within `boundMs`, the one target failed with this error. */
export interface PersistentFaultExpectation {
  readonly boundMs: number;
  readonly code: RegExp;
  readonly message: RegExp;
}

/**
 * Runs `run` (a CLI run with `--output json` against a peer that keeps failing) and asserts it
 * ended as {@link PersistentFaultExpectation} says: no hang, a clear failure, the right status.
 */
export async function assertEndsInFailure(
  run: () => Promise<CliRun>,
  expected: PersistentFaultExpectation,
): Promise<void> {
  const started = Date.now();
  const finished = await run();
  const elapsed = Date.now() - started;
  assert.equal(finished.status, 1, finished.stdout + finished.stderr);
  assert.ok(elapsed < expected.boundMs, `took ${elapsed} ms`);
  const [result] = (
    JSON.parse(finished.stdout) as {
      results: Array<{ action: string; error: { code: string; message: string } | null }>;
    }
  ).results;
  assert.equal(result?.action, 'failed');
  assert.match(result?.error?.code ?? '', expected.code);
  assert.match(result?.error?.message ?? '', expected.message);
}
