import { ConfigError, refresh, type Logger, type Sink } from '@ecr-refresh/core';
import { exitStatusOf, type ExitStatus } from '../exit-status.ts';
import { resolveSettings, type Settings } from '../options/settings.ts';
import type { SharedArgs } from '../options/shared-options.ts';
import { printReport } from '../output/print-report.ts';
import { abortOnSignal } from './abort-on-signal.ts';
import { openSession } from './session.ts';

/**
 * The run every sink subcommand shares: validate settings and sinks (nothing is written when
 * either is wrong, exit 64), then one refresh whose results are printed, or with `--watch` the
 * long-running service. Returns the exit status.
 */
export async function runRefresh(
  args: SharedArgs,
  createSinks: (settings: Settings, logger: Logger) => Sink[],
): Promise<ExitStatus> {
  const settings = resolveSettings(args);
  const { logger, tokenSource } = await openSession(settings);
  const sinks = createSinks(settings, logger);
  await validateSinks(sinks);
  // The service's code (metrics, HTTP server) loads only in service mode.
  if (settings.watch)
    return (await import('./run-service.ts')).runService(settings, { logger, tokenSource }, sinks);
  const signal = abortOnSignal();
  const report = await refresh({
    registries: settings.registries,
    sinks,
    tokenSource,
    force: settings.force,
    dryRun: settings.dryRun,
    signal,
    logger,
  });
  // A selection that matches nothing (a namespace glob no namespace matches) is a valid run of
  // nothing, not an error: the cluster may gain the namespaces later. Say so.
  if (report.results.length === 0)
    logger.warn(
      'no target matched the namespaces, selector or environments given: nothing was refreshed',
    );
  printReport(report, settings.output);
  return exitStatusOf(report);
}

async function validateSinks(sinks: readonly Sink[]): Promise<void> {
  const problems = (await Promise.all(sinks.map((sink) => sink.validate()))).flat();
  if (problems.length > 0)
    throw new ConfigError(problems.map((problem) => `${problem.path}: ${problem.message}`));
}
