import assert from 'node:assert/strict';
import {
  DOCUMENTED_TOKEN_LIFETIME_MS,
  combinedRecord,
  effectiveExpiry,
  isFresh,
  refreshDueAt,
} from './registry-credential.ts';

const at = (iso: string): Date => new Date(iso);
const hosts = ['123456789012.dkr.ecr.eu-west-1.amazonaws.com'];

describe('core/credential/registry-credential', () => {
  const record = {
    hosts,
    fetchedAt: at('2026-01-01T00:00:00Z'),
    expiresAt: at('2026-01-01T12:00:00Z'),
  };

  it('is due for refresh half-way through its lifetime', () => {
    assert.equal(refreshDueAt(record).toISOString(), '2026-01-01T06:00:00.000Z');
  });

  it('is fresh before the half-life and stale from it on', () => {
    assert.equal(isFresh(record, hosts, at('2026-01-01T05:59:59Z')), true);
    assert.equal(isFresh(record, hosts, at('2026-01-01T06:00:00Z')), false);
  });

  it('is stale when it does not cover every host asked for', () => {
    assert.equal(
      isFresh(
        record,
        [...hosts, '123456789012.dkr.ecr.us-east-1.amazonaws.com'],
        at('2026-01-01T01:00:00Z'),
      ),
      false,
    );
  });

  it('records credentials written together as fresh as the oldest of them', () => {
    const combined = combinedRecord([
      {
        host: 'a.dkr.ecr.eu-west-1.amazonaws.com',
        fetchedAt: at('2026-01-01T01:00:00Z'),
        expiresAt: at('2026-01-01T13:00:00Z'),
      },
      {
        host: 'b.dkr.ecr.us-east-1.amazonaws.com',
        fetchedAt: at('2026-01-01T00:00:00Z'),
        expiresAt: at('2026-01-01T14:00:00Z'),
      },
    ]);
    assert.deepEqual(combined, {
      hosts: ['a.dkr.ecr.eu-west-1.amazonaws.com', 'b.dkr.ecr.us-east-1.amazonaws.com'],
      fetchedAt: at('2026-01-01T00:00:00Z'),
      expiresAt: at('2026-01-01T13:00:00Z'),
    });
  });

  it('is never fresh when there is no record', () => {
    assert.equal(isFresh(undefined, hosts, at('2026-01-01T01:00:00Z')), false);
  });

  it('never schedules a refresh before the fetch, even with an expiry in the past', () => {
    const past = {
      hosts,
      fetchedAt: at('2026-01-01T00:00:00Z'),
      expiresAt: at('2015-01-01T00:00:00Z'),
    };
    assert.equal(refreshDueAt(past).toISOString(), '2026-01-01T00:00:00.000Z');
  });

  it('trusts an expiry after the fetch', () => {
    const result = effectiveExpiry(at('2026-01-01T12:00:00Z'), at('2026-01-01T00:00:00Z'));
    assert.deepEqual(result, { expiresAt: at('2026-01-01T12:00:00Z'), trusted: true });
  });

  it('assumes the documented 12 h lifetime when the reported expiry is in the past (moto answers 2015-01-01)', () => {
    const fetchedAt = at('2026-01-01T00:00:00Z');
    const result = effectiveExpiry(at('2015-01-01T00:00:00Z'), fetchedAt);
    assert.equal(result.trusted, false);
    assert.equal(result.expiresAt.getTime() - fetchedAt.getTime(), DOCUMENTED_TOKEN_LIFETIME_MS);
  });

  it('assumes the documented lifetime when no expiry is reported', () => {
    assert.equal(effectiveExpiry(undefined, at('2026-01-01T00:00:00Z')).trusted, false);
  });
});
