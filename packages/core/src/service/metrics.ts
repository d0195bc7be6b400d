import type { Gauge, Registry } from 'prom-client';
import type { RefreshReport } from '../refresh.ts';
import type { TargetResult } from '../sink/sink.ts';

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
    help: 'Targets handled, by sink, action (created, updated, unchanged, failed) and cluster ("" for sinks without clusters)',
    labelNames: ['sink', 'action', 'cluster'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ecr_refresh_failures_total',
    help: 'Failed targets by error code and cluster ("" for sinks without clusters)',
    labelNames: ['code', 'cluster'],
    registers: [registry],
  });
  const clusterSuccess = new Gauge({
    name: 'ecr_refresh_cluster_last_success_timestamp_seconds',
    help: 'When the last refresh cycle without a failed target in a cluster finished (0: none yet)',
    labelNames: ['cluster'],
    registers: [registry],
  });
  const observeClusters = clusterSuccessObserver(clusterSuccess);
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
        const cluster = result.cluster ?? '';
        writes.inc({ sink: result.sink, action: result.action, cluster });
        if (result.error !== undefined) failures.inc({ code: result.error.code, cluster });
      }
      observeClusters(report);
      for (const [host, expiresAt] of credentialExpiry)
        expiry.set({ host }, expiresAt.getTime() / 1000);
      if (report.totals.failed === 0) lastSuccess.set(report.finishedAt.getTime() / 1000);
    },
    expiringBeforeRetry() {
      expiring.inc();
    },
  };
}

/**
 * Sets each cluster's last success when a cycle had no failed target in it (0 for a cluster
 * first seen failing, so that an alert on its age fires), and removes the series of a cluster
 * the cycle no longer names (removed from the fleet). Absence proves removal only when every
 * failed target names its cluster: a failure that names none (Rancher's clusters not listed) may
 * hide clusters that still exist, whose stale series is then what an alert needs.
 */
function clusterSuccessObserver(gauge: Gauge<'cluster'>): (report: RefreshReport) => void {
  const known = new Set<string>();
  return (report) => {
    const finishedAt = report.finishedAt.getTime() / 1000;
    const failedIn = failuresByCluster(report.results);
    for (const [cluster, failed] of failedIn) {
      if (!failed) gauge.set({ cluster }, finishedAt);
      else if (!known.has(cluster)) gauge.set({ cluster }, 0);
      known.add(cluster);
    }
    if (report.results.some((result) => result.action === 'failed' && result.cluster === undefined))
      return;
    for (const cluster of known) {
      if (failedIn.has(cluster)) continue;
      gauge.remove({ cluster });
      known.delete(cluster);
    }
  };
}

/** Every cluster the results name, and whether any of its targets failed. */
function failuresByCluster(results: readonly TargetResult[]): Map<string, boolean> {
  const failedIn = new Map<string, boolean>();
  for (const { cluster, action } of results) {
    if (cluster !== undefined)
      failedIn.set(cluster, failedIn.get(cluster) === true || action === 'failed');
  }
  return failedIn;
}
