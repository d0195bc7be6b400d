import { silentLogger } from '../log/logger.ts';
import { refresh, type RefreshOptions, type RefreshReport } from '../refresh.ts';
import { createCachingTokenSource } from '../token/caching-token-source.ts';
import type { HealthState } from './health-server.ts';
import type { ServiceMetrics } from './metrics.ts';
import {
  DEFAULT_SCHEDULE,
  delayAfterFailure,
  delayAfterSuccess,
  expiresBeforeNextAttempt,
  type ScheduleOptions,
} from './schedule.ts';
import { createWakeUp, type WakeUp } from './wake-up.ts';

/** Options of {@link runRefreshService}. */
export interface RefreshServiceOptions extends Omit<RefreshOptions, 'signal'> {
  /** Stops the service: no new cycle or target starts; writes in flight finish. */
  signal: AbortSignal;
  schedule?: Partial<ScheduleOptions> | undefined;
  health?: HealthState | undefined;
  metrics?: ServiceMetrics | undefined;
  /** Called after each cycle (the CLI prints it). */
  onCycle?: ((report: RefreshReport, nextInMs: number) => void) | undefined;
  /** Ends the service after this many cycles (benchmarks, tests). */
  maxCycles?: number | undefined;
  /** Replaces timers and sink triggers (tests, benchmarks). */
  wakeUp?: WakeUp | undefined;
  /** @internal Random source of the jitter; for tests. */
  random?: (() => number) | undefined;
}

/**
 * Runs refresh cycles until `signal` aborts: each at the earliest half-life of the credentials in
 * place (with jitter), or sooner when a sink reports a change (a new namespace); after a failure,
 * retries with capped exponential backoff, and says loudly (log, metric, unready) when the
 * credentials in place will expire before the next attempt. Credentials are reused in memory until
 * their half-life, so changes between refreshes cost no ECR call. Never throws for a failed cycle:
 * transient trouble never ends the service. Resolves once stopped.
 */
export async function runRefreshService(options: RefreshServiceOptions): Promise<void> {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const schedule = { ...DEFAULT_SCHEDULE, ...options.schedule };
  const wakeUp = options.wakeUp ?? createWakeUp();
  const health = options.health ?? { ready: false, reason: 'first refresh not finished' };
  const tokenSource = createCachingTokenSource(options.tokenSource, clock);
  const watchers = startWatchers(options, wakeUp);
  let failures = 0;
  let cycles = 0;
  let succeededOnce = false;
  try {
    while (!options.signal.aborted) {
      const report = await refresh({
        ...options,
        tokenSource,
        force: cycles === 0 && options.force === true,
      });
      cycles += 1;
      const failed = report.totals.failed > 0;
      failures = failed ? failures + 1 : 0;
      succeededOnce ||= !failed;
      const now = clock();
      const delay = failed
        ? delayAfterFailure(failures, schedule, options.random)
        : delayAfterSuccess(report.nextRefreshAt, now, schedule, options.random);
      const expiry = earliestExpiry(report);
      const expiring = expiresBeforeNextAttempt(expiry, now, delay);
      updateHealth(health, succeededOnce, expiring, failed);
      options.metrics?.observe(report, expiryByHost(report));
      if (expiring) {
        options.metrics?.expiringBeforeRetry();
        logger.error(
          { expiresAt: expiry?.toISOString(), retryInMs: delay, failures },
          'credentials in place expire before the next attempt: pulls will fail',
        );
      }
      options.onCycle?.(report, delay);
      if (options.maxCycles !== undefined && cycles >= options.maxCycles) break;
      const reason = await wakeUp.sleep(delay, options.signal);
      if (reason !== 'timer' && reason !== 'stopped')
        logger.info({ reason }, 'change seen: refreshing');
    }
  } finally {
    await watchers;
  }
}

function startWatchers(options: RefreshServiceOptions, wakeUp: WakeUp): Promise<unknown> {
  const logger = options.logger ?? silentLogger;
  return Promise.allSettled(
    options.sinks.flatMap((sink) =>
      sink.watch === undefined
        ? []
        : [
            sink.watch({
              signal: options.signal,
              logger: logger.child({ sink: sink.id }),
              onChange: (reason) => wakeUp.trigger(`${sink.id}: ${reason}`),
            }),
          ],
    ),
  );
}

function updateHealth(
  health: HealthState,
  succeededOnce: boolean,
  expiring: boolean,
  failed: boolean,
): void {
  health.ready = succeededOnce && !expiring;
  if (!succeededOnce)
    health.reason = failed ? 'the first refresh failed; retrying' : 'first refresh not finished';
  else if (expiring) health.reason = 'the credentials in place expire before the next attempt';
  else health.reason = '';
}

function earliestExpiry(report: RefreshReport): Date | undefined {
  const times = report.results.flatMap((result) =>
    result.record === undefined ? [] : [result.record.expiresAt.getTime()],
  );
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

function expiryByHost(report: RefreshReport): Map<string, Date> {
  const expiry = new Map<string, Date>();
  for (const result of report.results) {
    for (const host of result.record?.hosts ?? []) {
      const current = expiry.get(host);
      if (
        result.record !== undefined &&
        (current === undefined || result.record.expiresAt < current)
      )
        expiry.set(host, result.record.expiresAt);
    }
  }
  return expiry;
}
