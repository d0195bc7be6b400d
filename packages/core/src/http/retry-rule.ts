/**
 * The one rule of every HTTP sink (Kubernetes, Cattle) for a request that failed: whether trying
 * again may succeed, and how long to wait first. ECR and STS calls are retried by the AWS SDK's
 * own standard strategy instead.
 */

/**
 * Statuses worth another attempt: 408 Request Timeout, 429 Too Many Requests, and the 5xx of a
 * server or gateway that is down or overloaded (not 501 Not Implemented, 505, … which stay so).
 */
const RETRYABLE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

// Node's codes for a connection that failed, was reset or cut, or went silent; HPE_…: an answer
// that broke off mid-parse. Not ENOTFOUND (a mistyped host stays mistyped), not TLS failures.
const RETRYABLE_ERROR_CODES =
  /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|HPE_[A-Z_]+)$/;

/** A `Retry-After` longer than this is not waited for: the request fails, and the next run tries again. */
export const MAX_RETRY_AFTER_MS = 30_000;

// Exponential backoff stops growing here, and each delay is spread by ±20 % so that clients
// failed by one outage do not come back at the same instant.
const MAX_BACKOFF_MS = 30_000;
const JITTER = 0.2;

/** What a failed attempt left: the status of its answer, or the code of the error it failed with (or both, for an answer cut off). */
export interface FailedAttempt {
  readonly status?: number | undefined;
  /** Node's error code (`ECONNRESET`, `ETIMEDOUT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`). */
  readonly errorCode?: string | undefined;
  /** The server's `Retry-After`, in milliseconds (see {@link parseRetryAfter}). */
  readonly retryAfterMs?: number | undefined;
}

/** One retry of a request, as a sink's `onRetry` hears of it: which, the attempt about to be made, and why. */
export interface RequestRetry {
  readonly method: string;
  /** The URL (redacted: see `redactUrl`), or the path where the server is named elsewhere. */
  readonly url: string;
  /** 2 for the first retry. */
  readonly attempt: number;
  /** An HTTP status (`HTTP 503`) or a connection error code (`ECONNRESET`, `ETIMEDOUT`). */
  readonly reason: string;
}

/** Whether a failure like `attempt` may succeed if tried again: a status of {@link RETRYABLE_STATUSES} or a failed, reset or silent connection. */
export function isRetryable(attempt: Omit<FailedAttempt, 'retryAfterMs'>): boolean {
  const byStatus = attempt.status !== undefined && RETRYABLE_STATUSES.includes(attempt.status);
  const byCode = attempt.errorCode !== undefined && RETRYABLE_ERROR_CODES.test(attempt.errorCode);
  return byStatus || byCode;
}

/**
 * How long to wait before retry number `retry` (1 for the first) of a failure like `attempt`, or
 * undefined when it is not worth retrying: not {@link isRetryable}, or the server asks for a wait
 * longer than {@link MAX_RETRY_AFTER_MS}. The server's `Retry-After` wins; otherwise
 * `baseDelayMs` doubles at each retry, capped at 30 s, with jitter.
 */
export function retryDelayMs(
  attempt: FailedAttempt,
  retry: number,
  baseDelayMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (!isRetryable(attempt)) return undefined;
  if (attempt.retryAfterMs !== undefined)
    return attempt.retryAfterMs > MAX_RETRY_AFTER_MS ? undefined : attempt.retryAfterMs;
  const backoff = Math.min(baseDelayMs * 2 ** (retry - 1), MAX_BACKOFF_MS);
  return Math.round(backoff * (1 - JITTER + 2 * JITTER * random()));
}

/** A `Retry-After` header in milliseconds from `now`: seconds, or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  header: string | readonly string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = typeof header === 'string' ? header : header?.[0];
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
