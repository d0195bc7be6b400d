import assert from 'node:assert/strict';
import { TokenError } from '../errors.ts';
import { clearSecretsForTesting, redactSecrets } from '../log/redaction.ts';
import { decodeAuthorizationToken } from './decode-token.ts';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('core/token/decode-token', () => {
  afterEach(clearSecretsForTesting);

  it('splits the token at the first colon, keeping colons in the password', () => {
    assert.deepEqual(decodeAuthorizationToken(b64('AWS:pass:with:colons')), {
      username: 'AWS',
      password: 'pass:with:colons',
    });
  });

  it('registers the password and the token for redaction as soon as it decodes them', () => {
    const token = b64('AWS:s3cr3t-password-value');
    decodeAuthorizationToken(token);
    assert.equal(
      redactSecrets(`pw=s3cr3t-password-value tok=${token}`),
      'pw=[REDACTED] tok=[REDACTED]',
    );
  });

  const malformed: Array<[name: string, token: string]> = [
    ['an empty token', ''],
    ['a token that is not base64', 'not base64 at all!'],
    ['a token with no colon', b64('AWSpasswordwithoutcolon')],
    ['a token with an empty user', b64(':password')],
    ['a token with an empty password', b64('AWS:')],
  ];
  for (const [name, token] of malformed) {
    it(`throws ERR_ECR_TOKEN for ${name}, without the token in the message`, () => {
      assert.throws(
        () => decodeAuthorizationToken(token),
        (error: unknown) => {
          assert.ok(error instanceof TokenError);
          assert.equal(error.code, 'ERR_ECR_TOKEN');
          if (token.length > 0) assert.ok(!error.message.includes(token));
          return true;
        },
      );
    });
  }
});
