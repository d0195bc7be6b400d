import assert from 'node:assert/strict';
import {
  DEFAULT_SCHEDULE,
  delayAfterFailure,
  delayAfterSuccess,
  expiresBeforeNextAttempt,
} from './schedule.ts';

const now = new Date('2026-05-01T00:00:00Z');
const inMs = (ms: number): Date => new Date(now.getTime() + ms);
const HOUR = 3600_000;

describe('core/service/schedule', () => {
  describe('delayAfterSuccess()', () => {
    it('sleeps until the half-life when there is no jitter', () => {
      assert.equal(
        delayAfterSuccess(inMs(0.5 * HOUR), now, { ...DEFAULT_SCHEDULE, jitter: 0 }),
        0.5 * HOUR,
      );
    });

    it('spreads replicas by up to the jitter fraction, never past the half-life', () => {
      const options = { ...DEFAULT_SCHEDULE, jitter: 0.1 };
      assert.equal(
        delayAfterSuccess(inMs(0.5 * HOUR), now, options, () => 0),
        0.5 * HOUR,
      );
      assert.equal(
        delayAfterSuccess(inMs(0.5 * HOUR), now, options, () => 1),
        0.45 * HOUR,
      );
    });

    it('caps a long wait at maxIntervalMs so changes are still noticed', () => {
      assert.equal(
        delayAfterSuccess(inMs(6 * HOUR), now, { ...DEFAULT_SCHEDULE, jitter: 0 }),
        DEFAULT_SCHEDULE.maxIntervalMs,
      );
    });

    it('waits minIntervalMs instead of spinning when the half-life is already past', () => {
      assert.equal(
        delayAfterSuccess(new Date('2015-01-01T00:00:00Z'), now),
        DEFAULT_SCHEDULE.minIntervalMs,
      );
      assert.equal(delayAfterSuccess(now, now), DEFAULT_SCHEDULE.minIntervalMs);
    });
  });

  describe('delayAfterFailure()', () => {
    it('doubles from the initial delay and stops at the cap', () => {
      const upper = (attempt: number) => delayAfterFailure(attempt, DEFAULT_SCHEDULE, () => 1);
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7, 20].map(upper),
        [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
      );
    });

    it('never waits less than half of the capped delay', () => {
      assert.equal(
        delayAfterFailure(30, DEFAULT_SCHEDULE, () => 0),
        DEFAULT_SCHEDULE.backoffMaxMs / 2,
      );
    });
  });

  describe('expiresBeforeNextAttempt()', () => {
    it('is true when the credentials expire before the next attempt, false otherwise', () => {
      assert.equal(expiresBeforeNextAttempt(inMs(60_000), now, 120_000), true);
      assert.equal(expiresBeforeNextAttempt(inMs(600_000), now, 120_000), false);
      assert.equal(expiresBeforeNextAttempt(undefined, now, 120_000), false);
    });
  });
});
