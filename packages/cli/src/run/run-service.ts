import {
  createServiceMetrics,
  runRefreshService,
  startHealthServer,
  type HealthState,
  type Sink,
} from '@ecr-refresh/core';
import { ExitStatus } from '../exit-status.ts';
import type { Settings } from '../options/settings.ts';
import { abortOnSignal } from './abort-on-signal.ts';
import type { Session } from './session.ts';

/** How long writes in flight may take to finish after SIGTERM, within Kubernetes' default 30 s grace. */
const DRAIN_TIMEOUT_MS = 20_000;

/**
 * `--watch`: serves the health and metrics endpoints and runs refresh cycles until SIGTERM or
 * SIGINT. The first signal stops new work and lets writes in flight finish (at most
 * {@link DRAIN_TIMEOUT_MS}), then closes watches and the server and exits 0; a second signal exits
 * at once.
 */
export async function runService(
  settings: Settings,
  session: Session,
  sinks: Sink[],
): Promise<ExitStatus> {
  const { logger, tokenSource } = session;
  let drainTimer: NodeJS.Timeout | undefined;
  const stop = abortOnSignal({
    onAbort: (signal) => {
      logger.info({ signal }, 'stopping: finishing writes in flight');
      drainTimer = setTimeout(() => {
        logger.error(
          { timeoutMs: DRAIN_TIMEOUT_MS },
          'writes in flight did not finish in time: exiting',
        );
        process.exit(ExitStatus.someTargetsFailed);
      }, DRAIN_TIMEOUT_MS).unref();
    },
    onExit: (signal) => logger.warn({ signal }, 'second signal: exiting now'),
  });

  const health: HealthState = { ready: false, reason: 'first refresh not finished' };
  const metrics = await createServiceMetrics();
  const server =
    settings.listen === undefined
      ? undefined
      : await startHealthServer(settings.listen, health, metrics.registry);
  if (server !== undefined)
    logger.info({ address: server.address }, 'serving /healthz, /readyz and /metrics');
  try {
    await runRefreshService({
      registries: settings.registries,
      sinks,
      tokenSource,
      force: settings.force,
      dryRun: settings.dryRun,
      signal: stop,
      logger,
      health,
      metrics,
      onCycle: (report, nextInMs) =>
        logger.info(
          { totals: report.totals, nextRefreshInS: Math.round(nextInMs / 1000) },
          'cycle finished',
        ),
    });
  } finally {
    clearTimeout(drainTimer);
    await server?.close();
  }
  logger.info('stopped');
  return ExitStatus.ok;
}
