import assert from 'node:assert/strict';
import { describeCredential, recordOfCredential } from './credential-record.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('rancher1/credential-record', () => {
  it('reads back the record it wrote into a description', () => {
    const fetchedAt = new Date('2026-01-02T03:04:05.678Z');
    const expiresAt = new Date('2026-01-02T15:04:05.678Z');
    assert.deepEqual(recordOfCredential(describeCredential({ fetchedAt, expiresAt }), HOST), {
      hosts: [HOST],
      fetchedAt,
      expiresAt,
    });
  });

  for (const description of [
    null,
    undefined,
    '',
    'prod pull key',
    'ecr-refresh: fetched yesterday, expires soon (do not edit)',
  ]) {
    it(`knows nothing from the description ${JSON.stringify(description)}`, () => {
      assert.equal(recordOfCredential(description, HOST), undefined);
    });
  }
});
