import assert from 'node:assert/strict';
import { AwsAuthError, ConfigError, type RefreshReport } from '@ecr-refresh/core';
import { ExitStatus, exitStatusOf, exitStatusOfError, exitStatusOfSignal } from './exit-status.ts';

function report(totals: RefreshReport['totals'], fetchFailed = false): RefreshReport {
  return {
    results: [],
    totals,
    ecrCalls: 1,
    ...(fetchFailed ? { fetchError: new AwsAuthError('denied') } : {}),
    startedAt: new Date(),
    finishedAt: new Date(),
  };
}

describe('cli/exit-status', () => {
  it('is 0 when no target failed', () => {
    assert.equal(
      exitStatusOf(report({ created: 1, updated: 1, unchanged: 1, failed: 0 })),
      ExitStatus.ok,
    );
  });

  it('is 1 when some targets failed and others were written', () => {
    assert.equal(
      exitStatusOf(report({ created: 1, updated: 0, unchanged: 0, failed: 1 }, true)),
      ExitStatus.someTargetsFailed,
    );
  });

  it('is 2 when no credential could be fetched so nothing was written', () => {
    assert.equal(
      exitStatusOf(report({ created: 0, updated: 0, unchanged: 2, failed: 3 }, true)),
      ExitStatus.noCredentials,
    );
  });

  it('is 64 for bad input and 2 for missing AWS credentials before any report', () => {
    assert.equal(exitStatusOfError(new ConfigError('x')), 64);
    assert.equal(exitStatusOfError(new AwsAuthError('x')), 2);
    assert.equal(exitStatusOfError(new Error('bug')), 70);
  });

  it('is 130 after a second SIGINT and 143 after a second SIGTERM, as a shell reports them', () => {
    assert.deepEqual([exitStatusOfSignal('SIGINT'), exitStatusOfSignal('SIGTERM')], [130, 143]);
  });
});
