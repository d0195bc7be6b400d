import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetryAfter, retryDelayMs, type RequestRetry } from '@ecr-refresh/core';

/** How the API requests of one cluster behave when the server is slow or failing. */
export interface RequestPolicy {
  /** Milliseconds a request may wait for the answer's headers, and between two chunks of its body. */
  readonly timeoutMs: number;
  /** Retries of a request that failed in a way core's retry rule retries (429, 5xx, a failed or silent connection). */
  readonly retries?: number | undefined;
  /** The first retry's delay; each next one doubles (a `Retry-After` from the server wins). */
  readonly baseDelayMs?: number | undefined;
  /** Called before each retry (`url` is the API path), so an operator sees a flaky API server even when the run succeeds; must not throw. */
  readonly onRetry?: ((retry: RequestRetry) => void) | undefined;
}

/** What one attempt gave: an answer (status and headers), or the error of a connection that failed. */
type Attempt<
  Answer extends { status: number; headers: Record<string, string | string[] | undefined> },
> = { readonly answer: Answer } | { readonly error: unknown };

const DEFAULT_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 500;

/**
 * Runs `attempt` until it gives an answer that is not worth retrying, or the retries of `policy`
 * are spent. What is retried, and after how long, is core's retry rule (`retryDelayMs`): 429 and
 * 5xx answers wait for the server's `Retry-After` (one longer than 30 s is not waited for) or for
 * exponential backoff; failed, reset, cut or silent connections wait for the backoff. Other
 * errors (a TLS failure, a refused certificate) are thrown at once. The last error says how many
 * attempts were made; its `code` is kept.
 *
 * Retrying a write is safe here because every write the sink makes is guarded: a create that did
 * land comes back as 409 AlreadyExists, a replace or patch that did land as a conflict on
 * `resourceVersion`, and the sink handles both by reading again.
 */
export async function withRetries<
  Answer extends { status: number; headers: Record<string, string | string[] | undefined> },
>(
  policy: RequestPolicy,
  request: {
    readonly method: string;
    readonly path: string;
    readonly signal?: AbortSignal | undefined;
  },
  attempt: () => Promise<Answer>,
): Promise<Answer> {
  const retries = policy.retries ?? DEFAULT_RETRIES;
  const baseDelayMs = policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  for (let number = 1; ; number += 1) {
    const outcome: Attempt<Answer> = await attempt().then(
      (answer) => ({ answer }),
      (error: unknown) => ({ error }),
    );
    const last = number > retries || request.signal?.aborted === true;
    if ('answer' in outcome) {
      const { status, headers } = outcome.answer;
      const delay = last
        ? undefined
        : retryDelayMs(
            { status, retryAfterMs: parseRetryAfter(headers['retry-after']) },
            number,
            baseDelayMs,
          );
      if (delay === undefined) return outcome.answer;
      policy.onRetry?.({
        method: request.method,
        url: request.path,
        attempt: number + 1,
        reason: `HTTP ${status}`,
      });
      await sleep(delay);
      continue;
    }
    const errorCode = errorCodeOf(outcome.error);
    const delay = last ? undefined : retryDelayMs({ errorCode }, number, baseDelayMs);
    if (delay === undefined) throw withAttempts(outcome.error, number);
    policy.onRetry?.({
      method: request.method,
      url: request.path,
      attempt: number + 1,
      reason: String(errorCode),
    });
    await sleep(delay);
  }
}

/** The `code` of a Node error (`ECONNRESET`), when it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error, its message saying how often it was tried; the code (what callers report) is kept. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (attempts === 1 || !(error instanceof Error)) return error;
  error.message = `${error.message} (after ${attempts} attempts)`;
  return error;
}
