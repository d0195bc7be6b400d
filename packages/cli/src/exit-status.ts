import type { RefreshReport } from '@ecr-refresh/core';

/**
 * The exit statuses of `ecr-refresh`, one place for all of them. 64 is sysexits' EX_USAGE, the
 * status of every bad flag, variable or config file, returned before anything is written.
 */
export const ExitStatus = {
  ok: 0,
  someTargetsFailed: 1,
  noCredentials: 2,
  badInput: 64,
  internalError: 70,
  /** 128 + the signal's number, as a shell reports a process a signal ended: SIGINT. */
  interrupted: 130,
  /** SIGTERM. */
  terminated: 143,
} as const;
export type ExitStatus = (typeof ExitStatus)[keyof typeof ExitStatus];

/**
 * The status a finished run exits with: 0 when every target is in place; 2 when credentials
 * could not be fetched and so nothing was written; 1 when some targets failed.
 */
export function exitStatusOf(report: RefreshReport): ExitStatus {
  const { created, updated, failed } = report.totals;
  if (failed === 0) return ExitStatus.ok;
  if (report.fetchError !== undefined && created + updated === 0) return ExitStatus.noCredentials;
  return ExitStatus.someTargetsFailed;
}

/** The status of a run that a second SIGINT or SIGTERM ended at once. */
export function exitStatusOfSignal(signal: NodeJS.Signals): ExitStatus {
  return signal === 'SIGINT' ? ExitStatus.interrupted : ExitStatus.terminated;
}

/** The status for an error that ended the command before a report existed. */
export function exitStatusOfError(error: unknown): ExitStatus {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_INVALID_CONFIG' || code === 'ERR_INVALID_REGISTRY') return ExitStatus.badInput;
  if (code === 'ERR_AWS_AUTH' || code === 'ERR_ECR_UNAVAILABLE' || code === 'ERR_ECR_TOKEN')
    return ExitStatus.noCredentials;
  return ExitStatus.internalError;
}
