import type { Registry } from 'prom-client';
import type { RefreshReport } from '../refresh.ts';

/** The Prometheus metrics of the refresh service, in their own registry. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Records one finished refresh cycle. */
  observe(report: RefreshReport, credentialExpiry: ReadonlyMap<string, Date>): void;
  /** Records that the credentials in place will expire before the next attempt. */
  expiringBeforeRetry(): void;
}

/**
 * Creates the service's metrics; names follow Prometheus conventions, prefixed `ecr_refresh_`.
 * prom-client is loaded here, so one-shot runs never pay for it.
 */
export async function createServiceMetrics(): Promise<ServiceMetrics> {
  // prom-client is CommonJS: its exports are the default export once imported dynamically (a
  // bundler cannot see its named exports).
  const { Counter, Gauge, Histogram, Registry } = (await import('prom-client')).default;
  const registry = new Registry();
  const lastSuccess = new Gauge({
    name: 'ecr_refresh_last_success_timestamp_seconds',
    help: 'When the last refresh cycle without failure finished',
    registers: [registry],
  });
  const expiry = new Gauge({
    name: 'ecr_refresh_credential_expiry_timestamp_seconds',
    help: 'When the credential in place for a registry host expires',
    labelNames: ['host'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ecr_refresh_duration_seconds',
    help: 'Duration of refresh cycles',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const ecrCalls = new Counter({
    name: 'ecr_refresh_ecr_calls_total',
    help: 'GetAuthorizationToken calls made',
    registers: [registry],
  });
  const writes = new Counter({
    name: 'ecr_refresh_target_results_total',
    help: 'Targets handled, by sink and action (created, updated, unchanged, failed)',
    labelNames: ['sink', 'action'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ecr_refresh_failures_total',
    help: 'Failed targets by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const expiring = new Counter({
    name: 'ecr_refresh_expiring_before_retry_total',
    help: 'Times the credentials in place were due to expire before the next attempt',
    registers: [registry],
  });
  return {
    registry,
    observe(report, credentialExpiry) {
      duration.observe((report.finishedAt.getTime() - report.startedAt.getTime()) / 1000);
      ecrCalls.inc(report.ecrCalls);
      for (const result of report.results) {
        writes.inc({ sink: result.sink, action: result.action });
        if (result.error !== undefined) failures.inc({ code: result.error.code });
      }
      for (const [host, expiresAt] of credentialExpiry)
        expiry.set({ host }, expiresAt.getTime() / 1000);
      if (report.totals.failed === 0) lastSuccess.set(report.finishedAt.getTime() / 1000);
    },
    expiringBeforeRetry() {
      expiring.inc();
    },
  };
}
