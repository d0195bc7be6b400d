import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import {
  clearSecretsForTesting,
  redactSecrets,
  registerCredentialPair,
  registerSecret,
} from './redaction.ts';

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

describe('core/log', () => {
  afterEach(clearSecretsForTesting);

  describe('redactSecrets()', () => {
    it('masks a registered secret in plain, base64, base64url and URL-encoded form', () => {
      const secret = 'p@ss/word+with=odd?chars';
      registerSecret(secret);
      const text = [
        secret,
        Buffer.from(secret).toString('base64'),
        Buffer.from(secret).toString('base64url'),
        encodeURIComponent(secret),
      ].join(' ');
      assert.equal(redactSecrets(text), '[REDACTED] [REDACTED] [REDACTED] [REDACTED]');
    });

    it('masks the docker auth form of a user:password pair', () => {
      registerCredentialPair('AWS', 'the-password-1234');
      assert.equal(
        redactSecrets(`auth=${Buffer.from('AWS:the-password-1234').toString('base64')}`),
        'auth=[REDACTED]',
      );
    });

    it('ignores values too short to be secrets', () => {
      registerSecret('AWS');
      assert.equal(redactSecrets('AWS'), 'AWS');
    });
  });

  describe('createLogger()', () => {
    it('writes JSON lines with the level name', async () => {
      const out = capture();
      const logger = await createLogger({ format: 'json', destination: out });
      logger.info({ target: 't' }, 'hello');
      const line = JSON.parse(out.text());
      assert.equal(line.level, 'info');
      assert.equal(line.msg, 'hello');
      assert.equal(line.target, 't');
    });

    it('never writes a registered secret, in any field', async () => {
      registerSecret('hunter2-secret-value');
      const out = capture();
      const logger = await createLogger({ format: 'json', destination: out });
      logger.error(
        { nested: { deep: 'x hunter2-secret-value y' }, err: new Error('hunter2-secret-value') },
        'failed hunter2-secret-value',
      );
      assert.ok(!out.text().includes('hunter2-secret-value'));
      assert.match(out.text(), /\[REDACTED\]/);
    });

    it('writes readable text in pretty format, still redacted', async () => {
      registerSecret('hunter2-secret-value');
      const out = capture();
      const logger = await createLogger({ format: 'pretty', destination: out });
      logger.warn({ detail: 'hunter2-secret-value' }, 'careful');
      assert.match(out.text(), /WARN.*careful/);
      assert.ok(!out.text().includes('hunter2-secret-value'));
    });
  });
});
