import { setTimeout as sleep } from 'node:timers/promises';

/** How the API requests of one cluster behave when the server is slow or failing. */
export interface RequestPolicy {
  /** Milliseconds a request may wait for the answer's headers, and between two chunks of its body. */
  readonly timeoutMs: number;
  /** Retries of a request answered 429, 500, 502, 503 or 504, or whose connection failed or timed out. */
  readonly retries?: number | undefined;
  /** The first retry's delay; each next one doubles (a `Retry-After` from the server wins). */
  readonly baseDelayMs?: number | undefined;
  /** Called before each retry, so an operator sees a flaky API server even when the run succeeds; must not throw. */
  readonly onRetry?: ((retry: ApiRetry) => void) | undefined;
}

/** One retry of an API request: which, the attempt about to be made, and why the last one failed. */
export interface ApiRetry {
  readonly method: string;
  /** The request's path (no query: it carries nothing an operator needs here). */
  readonly path: string;
  /** 2 for the first retry. */
  readonly attempt: number;
  /** An HTTP status (`HTTP 503`) or a connection error code (`ECONNRESET`, `ETIMEDOUT`). */
  readonly reason: string;
}

/** What one attempt gave: an answer (status and headers), or the error of a connection that failed. */
type Attempt<Answer extends { status: number; headers: Record<string, string | string[] | undefined> }> =
  | { readonly answer: Answer }
  | { readonly error: unknown };

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const DEFAULT_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 500;
// A Retry-After longer than this is not waited for: the request fails and the next run tries again.
const MAX_RETRY_AFTER_MS = 30_000;
// Node's codes for a connection that failed, was reset or cut, or went silent (ETIMEDOUT: ours, see http-client.ts).
const CONNECTION_FAILURES = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|HPE_[A-Z_]+)$/;

/**
 * Runs `attempt` until it gives an answer that is not worth retrying, or the retries of `policy`
 * are spent: 429 and 5xx answers wait for the server's `Retry-After` (one longer than 30 s is not
 * waited for), or for exponential backoff; failed, reset, cut or silent connections wait for the
 * backoff. Other errors (a TLS failure, a refused certificate) are thrown at once. The last error
 * says how many attempts were made; its `code` is kept.
 *
 * Retrying a write is safe here because every write the sink makes is guarded: a create that did
 * land comes back as 409 AlreadyExists, a replace or patch that did land as a conflict on
 * `resourceVersion`, and the sink handles both by reading again.
 */
export async function withRetries<Answer extends { status: number; headers: Record<string, string | string[] | undefined> }>(
  policy: RequestPolicy,
  request: { readonly method: string; readonly path: string; readonly signal?: AbortSignal | undefined },
  attempt: () => Promise<Answer>,
): Promise<Answer> {
  const retries = policy.retries ?? DEFAULT_RETRIES;
  const baseDelayMs = policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  for (let number = 1; ; number += 1) {
    const outcome: Attempt<Answer> = await attempt().then((answer) => ({ answer }), (error: unknown) => ({ error }));
    const last = number > retries || request.signal?.aborted === true;
    const backoff = baseDelayMs * 2 ** (number - 1);
    if ('answer' in outcome) {
      const { answer } = outcome;
      if (last || !RETRY_STATUSES.has(answer.status)) return answer;
      const retryAfter = retryAfterMs(answer.headers['retry-after']);
      if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return answer;
      policy.onRetry?.({ method: request.method, path: request.path, attempt: number + 1, reason: `HTTP ${answer.status}` });
      await sleep(retryAfter ?? backoff);
      continue;
    }
    if (last || !isConnectionFailure(outcome.error)) throw withAttempts(outcome.error, number);
    policy.onRetry?.({ method: request.method, path: request.path, attempt: number + 1, reason: String((outcome.error as { code: string }).code) });
    await sleep(backoff);
  }
}

/** True for an error of a connection that failed, was reset, cut or timed out: worth another attempt. */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_FAILURES.test(code);
}

/** The error, its message saying how often it was tried; the code (what callers report) is kept. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (attempts === 1 || !(error instanceof Error)) return error;
  error.message = `${error.message} (after ${attempts} attempts)`;
  return error;
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
