import {
  redactSecrets,
  refreshDueAt,
  type RefreshReport,
  type TargetResult,
} from '@ecr-refresh/core';

/** Writes a run's results to standard output: an aligned table for people, or JSON for machines. */
export function printReport(
  report: RefreshReport,
  format: 'table' | 'json',
  out: NodeJS.WritableStream = process.stdout,
): void {
  const text =
    format === 'json'
      ? `${JSON.stringify(reportToJson(report), null, 2)}\n`
      : reportToTable(report);
  out.write(redactSecrets(text));
}

/** The JSON shape of a report (`--output json`); stable for scripts. */
function reportToJson(report: RefreshReport): Record<string, unknown> {
  return {
    totals: report.totals,
    ecrCalls: report.ecrCalls,
    nextRefreshAt: report.nextRefreshAt?.toISOString() ?? null,
    results: report.results.map((result) => ({
      sink: result.sink,
      target: result.target,
      cluster: result.cluster ?? null,
      action: result.action,
      dryRun: result.dryRun === true,
      reason: result.reason ?? null,
      expiresAt: result.record?.expiresAt.toISOString() ?? null,
      refreshAt: result.record === undefined ? null : refreshDueAt(result.record).toISOString(),
      error:
        result.error === undefined
          ? null
          : {
              code: result.error.code,
              message: result.error.message,
              retryable: result.error.retryable,
            },
    })),
  };
}

function reportToTable(report: RefreshReport): string {
  const rows = [['SINK', 'TARGET', 'ACTION', 'DETAIL'], ...report.results.map(row)];
  const widths = [0, 1, 2].map((column) =>
    Math.max(...rows.map((cells) => cells[column]?.length ?? 0)),
  );
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd(),
  );
  const { created, updated, unchanged, failed } = report.totals;
  lines.push(
    '',
    `${created} created, ${updated} updated, ${unchanged} unchanged, ${failed} failed; ${report.ecrCalls} ECR call(s)`,
  );
  return `${lines.join('\n')}\n`;
}

function row(result: TargetResult): string[] {
  const action = result.dryRun === true ? `${result.action} (dry run)` : result.action;
  return [result.sink, result.target, action, detail(result)];
}

function detail(result: TargetResult): string {
  if (result.error !== undefined) return `${result.error.code}: ${result.error.message}`;
  if (result.record === undefined) return result.reason ?? '';
  const expiry = `expires ${result.record.expiresAt.toISOString()}, refresh after ${refreshDueAt(result.record).toISOString()}`;
  return result.reason === undefined ? expiry : `${result.reason}; ${expiry}`;
}
