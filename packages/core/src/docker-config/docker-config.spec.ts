import assert from 'node:assert/strict';
import { ConfigError } from '../errors.ts';
import { credentialFor } from '../__fixtures__/credentials.ts';
import {
  decodeDockerConfig,
  encodeDockerConfig,
  findAuthEntry,
  mergeCredentials,
} from './docker-config.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('core/docker-config/docker-config', () => {
  describe('mergeCredentials()', () => {
    const existing = {
      auths: {
        'ghcr.io': { auth: 'Z2hjcjp0b2tlbg==' },
        [`https://${HOST}`]: { auth: 'c3RhbGU=' },
      },
      credHelpers: { 'public.ecr.aws': 'ecr-login' },
      credsStore: 'pass',
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      psFormat: 'table {{.ID}}',
    };

    it('keeps every entry and setting it does not own', () => {
      const merged = mergeCredentials(existing, [credentialFor(HOST)]);
      assert.deepEqual(merged.auths?.['ghcr.io'], { auth: 'Z2hjcjp0b2tlbg==' });
      assert.deepEqual(merged.credHelpers, existing.credHelpers);
      assert.equal(merged.credsStore, 'pass');
      assert.deepEqual((merged as Record<string, unknown>).proxies, existing.proxies);
      assert.equal((merged as Record<string, unknown>).psFormat, 'table {{.ID}}');
    });

    it('replaces variants of its own host so no stale entry shadows the new one', () => {
      const merged = mergeCredentials(existing, [credentialFor(HOST, 'new-password-123')]);
      assert.equal(merged.auths?.[`https://${HOST}`], undefined);
      assert.deepEqual(merged.auths?.[HOST], {
        username: 'AWS',
        password: 'new-password-123',
        auth: Buffer.from('AWS:new-password-123').toString('base64'),
      });
    });

    it('adds an email to the entry when one is given', () => {
      assert.equal(
        mergeCredentials({}, [credentialFor(HOST)], 'ops@example.com').auths?.[HOST]?.email,
        'ops@example.com',
      );
    });

    it('does not modify the config it is given', () => {
      const before = JSON.stringify(existing);
      mergeCredentials(existing, [credentialFor(HOST)]);
      assert.equal(JSON.stringify(existing), before);
    });
  });

  describe('decodeDockerConfig() and encodeDockerConfig()', () => {
    it('round-trips a config with unknown settings', () => {
      const config = { auths: { [HOST]: { auth: 'eA==' } }, experimental: 'enabled' };
      assert.deepEqual(decodeDockerConfig(encodeDockerConfig(config), 'config.json'), config);
    });

    it('treats an empty file as an empty config', () => {
      assert.deepEqual(decodeDockerConfig('  \n', 'config.json'), {});
    });

    it('rejects text that is not JSON, naming the file', () => {
      assert.throws(
        () => decodeDockerConfig('{"auths": ', '/home/me/.docker/config.json'),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /\/home\/me\/\.docker\/config\.json: not valid JSON/);
          return true;
        },
      );
    });

    it('rejects auths that are not an object of entries, naming the field', () => {
      assert.throws(
        () => decodeDockerConfig('{"auths": {"x": "y"}}', 'config.json'),
        /config\.json: auths\.x/,
      );
    });

    it('finds an entry under any variant of its key', () => {
      assert.deepEqual(
        findAuthEntry({ auths: { [`https://${HOST.toUpperCase()}/v2/`]: { auth: 'eA==' } } }, HOST),
        { auth: 'eA==' },
      );
    });
  });
});
