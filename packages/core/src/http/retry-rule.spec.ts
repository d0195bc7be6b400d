import assert from 'node:assert/strict';
import { MAX_RETRY_AFTER_MS, isRetryable, parseRetryAfter, retryDelayMs } from './retry-rule.ts';

describe('core/http/retry-rule', () => {
  describe(isRetryable.name, () => {
    const cases: Array<{
      name: string;
      attempt: { status?: number; errorCode?: string };
      retryable: boolean;
    }> = [
      ...[408, 429, 500, 502, 503, 504].map((status) => ({
        name: `HTTP ${status}`,
        attempt: { status },
        retryable: true,
      })),
      ...[400, 401, 403, 404, 409, 422, 501, 505].map((status) => ({
        name: `HTTP ${status}`,
        attempt: { status },
        retryable: false,
      })),
      ...[
        'ECONNRESET',
        'ECONNREFUSED',
        'EPIPE',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'EAI_AGAIN',
        'HPE_INVALID_CHUNK_SIZE',
      ].map((errorCode) => ({
        name: errorCode,
        attempt: { errorCode },
        retryable: true,
      })),
      ...[
        'ENOTFOUND',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'ERR_TLS_CERT_ALTNAME_INVALID',
        'ERR_NON_2XX_3XX_RESPONSE',
      ].map((errorCode) => ({
        name: errorCode,
        attempt: { errorCode },
        retryable: false,
      })),
      {
        name: 'an answer of 200 cut off by a reset',
        attempt: { status: 200, errorCode: 'ECONNRESET' },
        retryable: true,
      },
      { name: 'nothing known', attempt: {}, retryable: false },
    ];
    for (const c of cases) {
      it(`${c.retryable ? 'retries' : 'does not retry'} ${c.name}`, () => {
        assert.equal(isRetryable(c.attempt), c.retryable);
      });
    }
  });

  describe(retryDelayMs.name, () => {
    const middle = () => 0.5;

    it('doubles the base delay at each retry, capped at 30 s', () => {
      assert.deepEqual(
        [1, 2, 3, 10].map((retry) => retryDelayMs({ status: 503 }, retry, 500, middle)),
        [500, 1000, 2000, 30_000],
      );
    });

    it('spreads each delay by at most 20 % either way', () => {
      assert.equal(
        retryDelayMs({ errorCode: 'ECONNRESET' }, 1, 1000, () => 0),
        800,
      );
      assert.equal(
        retryDelayMs({ errorCode: 'ECONNRESET' }, 1, 1000, () => 1),
        1200,
      );
    });

    it("waits for the server's Retry-After instead, up to 30 s", () => {
      assert.equal(retryDelayMs({ status: 429, retryAfterMs: 7_000 }, 1, 500, middle), 7_000);
      assert.equal(
        retryDelayMs({ status: 503, retryAfterMs: MAX_RETRY_AFTER_MS }, 1, 500, middle),
        MAX_RETRY_AFTER_MS,
      );
    });

    it('gives up when the server asks for a longer wait, or the failure is not worth retrying', () => {
      assert.equal(
        retryDelayMs({ status: 429, retryAfterMs: MAX_RETRY_AFTER_MS + 1 }, 1, 500, middle),
        undefined,
      );
      assert.equal(retryDelayMs({ status: 404 }, 1, 500, middle), undefined);
      assert.equal(retryDelayMs({ errorCode: 'ENOTFOUND' }, 1, 500, middle), undefined);
    });
  });

  describe(parseRetryAfter.name, () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const cases: Array<[header: string | string[] | undefined, ms: number | undefined]> = [
      ['120', 120_000],
      ['0', 0],
      [['3', '9'], 3_000],
      ['Wed, 02 Dec 2026 12:00:10 GMT', 10_000],
      ['Wed, 02 Dec 2026 11:00:00 GMT', 0],
      ['-5', undefined],
      ['soon', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [header, ms] of cases) {
      it(`reads ${JSON.stringify(header)} as ${String(ms)} ms`, () => {
        assert.equal(parseRetryAfter(header, now), ms);
      });
    }
  });
});
