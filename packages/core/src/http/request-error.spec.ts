import assert from 'node:assert/strict';
import { EcrRefreshError } from '../errors.ts';
import { RequestError } from './request-error.ts';

describe('core/http/request-error', () => {
  it('carries method, redacted URL, status and code, and is an ecr-refresh error', () => {
    const error = new RequestError(
      { method: 'GET', url: 'https://user:pw-0123@host/x?token=tok-0123', status: 503 },
      'GET https://host/x: HTTP 503',
    );
    assert.ok(error instanceof EcrRefreshError);
    assert.deepEqual(
      [error.name, error.code, error.method, error.url, error.status, error.errorCode],
      ['RequestError', 'ERR_REQUEST', 'GET', 'https://host/x?token=REDACTED', 503, undefined],
    );
    assert.ok(!JSON.stringify({ ...error, message: error.message }).includes('0123'));
  });

  it('is retryable by the retry rule: a 503 or a reset connection, not a 403 or an untrusted certificate', () => {
    const retryable = (facts: { status?: number; errorCode?: string }) =>
      new RequestError({ method: 'PUT', url: '/x', ...facts }, 'failed').retryable;
    assert.deepEqual(
      [
        retryable({ status: 503 }),
        retryable({ errorCode: 'ECONNRESET' }),
        retryable({ status: 403 }),
        retryable({ errorCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      ],
      [true, true, false, false],
    );
  });

  it('lets the sink say otherwise', () => {
    assert.equal(
      new RequestError({ method: 'PUT', url: '/x', status: 409 }, 'conflict', { retryable: true })
        .retryable,
      true,
    );
  });
});
