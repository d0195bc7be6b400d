import { TokenError } from '../errors.ts';
import { registerCredentialPair, registerSecret } from '../log/redaction.ts';

/** The username and password inside an ECR authorization token. */
export interface DecodedToken {
  readonly username: string;
  readonly password: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes an ECR authorization token: base64 of `AWS:<password>`, split at the first `:` (the
 * password may itself contain colons). The token and the password are registered for redaction
 * before anything else can see them. Throws {@link TokenError} when the token is empty, not
 * base64, or has no `user:password` shape; the message never contains the token.
 */
export function decodeAuthorizationToken(token: string): DecodedToken {
  registerSecret(token);
  if (token.length === 0) throw new TokenError('ECR returned an empty authorization token');
  if (!BASE64.test(token) || token.length % 4 !== 0) {
    throw new TokenError(
      `ECR returned an authorization token that is not base64 (${token.length} characters)`,
    );
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new TokenError(
      'ECR returned an authorization token that is not of the form user:password',
    );
  }
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  registerCredentialPair(username, password);
  return { username, password };
}
