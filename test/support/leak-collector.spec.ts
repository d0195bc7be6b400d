import assert from 'node:assert/strict';
import { findLeaks, formsOf } from './leak-collector.ts';

describe('leak check: finding secrets in captured output', () => {
  // Its base64 holds a '+', so the standard and URL-safe forms differ.
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfi?>>?';

  it('finds a secret in plain, base64, base64url and URL-encoded form, naming the source but not the secret', () => {
    const captures = formsOf(secret).map(({ form, text }) => ({
      source: form,
      text: `log line … ${text} …`,
    }));
    const leaks = findLeaks([secret], captures);
    assert.deepEqual(
      leaks.map((leak) => leak.source),
      ['plain', 'base64', 'base64url', 'url-encoded'],
    );
    for (const leak of leaks) assert.equal(leak.secretLength, secret.length);
    assert.ok(!JSON.stringify(leaks).includes(secret));
  });

  it('finds the docker auth string of a password (base64 of AWS:<password>) inside a config dump', () => {
    const password = '123456789012-auth-token';
    const auth = Buffer.from(`AWS:${password}`).toString('base64');
    const leaks = findLeaks(
      [`AWS:${password}`],
      [{ source: 'stderr', text: `{"auths":{"h":{"auth":"${auth}"}}}` }],
    );
    assert.equal(leaks.length, 1);
  });

  it('reports nothing for output that holds no secret', () => {
    assert.deepEqual(
      findLeaks(
        [secret],
        [{ source: 'stdout', text: 'SINK TARGET ACTION\ndocker-config /tmp/c.json updated' }],
      ),
      [],
    );
  });
});
