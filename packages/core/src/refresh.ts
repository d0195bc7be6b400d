import { type EcrRefreshError, SinkWriteError, toEcrRefreshError } from './errors.ts';
import {
  isFresh,
  refreshDueAt,
  type RegistryCredential,
} from './credential/registry-credential.ts';
import type { RegistryTarget } from './registry/registry-target.ts';
import type { TokenSource } from './token/token-source.ts';
import type { ApplyContext, Sink, TargetAction, TargetResult } from './sink/sink.ts';
import { silentLogger, type Logger } from './log/logger.ts';

/** Options of {@link refresh}. */
export interface RefreshOptions {
  registries: readonly RegistryTarget[];
  sinks: readonly Sink[];
  tokenSource: TokenSource;
  /** Write every target even when it is still fresh. */
  force?: boolean | undefined;
  /** Report what would be written; write nothing. */
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  clock?: (() => Date) | undefined;
}

/** The outcome of one {@link refresh} run. */
export interface RefreshReport {
  readonly results: readonly TargetResult[];
  /** Count of results per action. */
  readonly totals: Readonly<Record<TargetAction, number>>;
  /** `GetAuthorizationToken` calls made by this run. */
  readonly ecrCalls: number;
  /** Why credentials could not be fetched, when they could not. */
  readonly fetchError?: EcrRefreshError;
  /** The earliest moment a target in place needs refreshing, when any is known. */
  readonly nextRefreshAt?: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

/**
 * One refresh: asks every sink to bring its targets up to date, fetching credentials from ECR
 * only when some target needs them, and at most once per (region, identity). Sinks run
 * concurrently; a sink that throws is reported as one failed target, never as a thrown error.
 */
export async function refresh(options: RefreshOptions): Promise<RefreshReport> {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const startedAt = clock();
  const callsBefore = options.tokenSource.calls;
  const hosts = options.registries.map((target) => target.host);
  let fetchError: EcrRefreshError | undefined;
  let pending: Promise<ReadonlyMap<string, RegistryCredential>> | undefined;

  const context: ApplyContext = {
    registries: options.registries,
    dryRun: options.dryRun ?? false,
    signal: options.signal ?? new AbortController().signal,
    logger,
    now: clock,
    needsRefresh: (record, only = hosts) =>
      options.force === true || !isFresh(record, only, clock()),
    credentials() {
      pending ??= options.tokenSource
        .fetch(options.registries, { signal: context.signal })
        .catch((error: unknown) => {
          fetchError = toEcrRefreshError(error, 'could not fetch ECR credentials');
          throw fetchError;
        });
      return pending;
    },
  };

  const perSink = await Promise.all(options.sinks.map((sink) => applySink(sink, context)));
  const results = perSink.flat();
  const report: RefreshReport = {
    results,
    totals: countActions(results),
    ecrCalls: options.tokenSource.calls - callsBefore,
    ...(fetchError === undefined ? {} : { fetchError }),
    ...nextRefresh(results),
    startedAt,
    finishedAt: clock(),
  };
  logger.info(
    {
      totals: report.totals,
      ecrCalls: report.ecrCalls,
      nextRefreshAt: report.nextRefreshAt?.toISOString(),
    },
    'refresh finished',
  );
  return report;
}

async function applySink(sink: Sink, context: ApplyContext): Promise<TargetResult[]> {
  const logger = context.logger.child({ sink: sink.id });
  try {
    const results = await sink.apply({ ...context, logger });
    for (const result of results) logResult(logger, result);
    return results;
  } catch (error) {
    const cause = toEcrRefreshError(error, `sink ${sink.id} failed`);
    const failure = new SinkWriteError(sink.id, sink.id, cause.message, {
      cause,
      retryable: cause.retryable,
    });
    logResult(logger, { sink: sink.id, target: sink.id, action: 'failed', error: failure });
    return [{ sink: sink.id, target: sink.id, action: 'failed', error: failure }];
  }
}

function logResult(logger: Logger, result: TargetResult): void {
  const fields = {
    target: result.target,
    ...(result.cluster === undefined ? {} : { cluster: result.cluster }),
    action: result.action,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.dryRun === true ? { dryRun: true } : {}),
    ...(result.error === undefined ? {} : { code: result.error.code, error: result.error.message }),
  };
  if (result.action === 'failed') logger.error(fields, 'target failed');
  else logger.info(fields, `target ${result.action}`);
}

function countActions(results: readonly TargetResult[]): Record<TargetAction, number> {
  const totals: Record<TargetAction, number> = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const result of results) totals[result.action] += 1;
  return totals;
}

function nextRefresh(results: readonly TargetResult[]): { nextRefreshAt?: Date } {
  const due = results.flatMap((result) =>
    result.record === undefined ? [] : [refreshDueAt(result.record).getTime()],
  );
  return due.length === 0 ? {} : { nextRefreshAt: new Date(Math.min(...due)) };
}
