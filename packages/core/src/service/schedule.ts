/**
 * When the refresh service acts next. Pure functions of the clock and a random source, so the
 * schedule is tested with an injected clock instead of waiting.
 */

/** Limits of the schedule. */
export interface ScheduleOptions {
  /** Never sleep less than this between successful cycles (guards against a spinning loop). */
  minIntervalMs: number;
  /** Never sleep more than this, so new targets and drift are noticed. */
  maxIntervalMs: number;
  /** Fraction of the delay spread at random, so many replicas do not call ECR in step. */
  jitter: number;
  /** First retry delay after a failure; doubles each time. */
  backoffInitialMs: number;
  /** Cap of the retry delay. */
  backoffMaxMs: number;
}

/** The service's schedule: at least 30 s and at most an hour between cycles, retries from 5 s up to 5 min. */
export const DEFAULT_SCHEDULE: ScheduleOptions = {
  minIntervalMs: 30_000,
  maxIntervalMs: 60 * 60_000,
  jitter: 0.1,
  backoffInitialMs: 5_000,
  backoffMaxMs: 5 * 60_000,
};

/**
 * The delay after a successful cycle: until the earliest half-life of the credentials in place
 * (`nextRefreshAt`), shortened by up to `jitter` of itself (never later than the half-life),
 * clamped to [minIntervalMs, maxIntervalMs]. A `nextRefreshAt` in the past waits minIntervalMs.
 */
export function delayAfterSuccess(
  nextRefreshAt: Date | undefined,
  now: Date,
  options: ScheduleOptions = DEFAULT_SCHEDULE,
  random: () => number = Math.random,
): number {
  const untilDue =
    nextRefreshAt === undefined ? options.maxIntervalMs : nextRefreshAt.getTime() - now.getTime();
  const jittered = untilDue - untilDue * options.jitter * random();
  return clamp(jittered, options.minIntervalMs, options.maxIntervalMs);
}

/**
 * The delay before retry number `attempt` (1 for the first retry): exponential from
 * backoffInitialMs, capped at backoffMaxMs, with "full jitter" over its upper half.
 */
export function delayAfterFailure(
  attempt: number,
  options: ScheduleOptions = DEFAULT_SCHEDULE,
  random: () => number = Math.random,
): number {
  const exponential = options.backoffInitialMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(exponential, options.backoffMaxMs);
  return Math.round(capped / 2 + (capped / 2) * random());
}

/**
 * Whether the credentials in place will have expired before the next attempt: the moment to
 * say so loudly and to report unready.
 */
export function expiresBeforeNextAttempt(
  earliestExpiry: Date | undefined,
  now: Date,
  delayMs: number,
): boolean {
  return earliestExpiry !== undefined && earliestExpiry.getTime() <= now.getTime() + delayMs;
}

function clamp(value: number, min: number, max: number): number {
  return Math.round(Math.min(max, Math.max(min, value)));
}
