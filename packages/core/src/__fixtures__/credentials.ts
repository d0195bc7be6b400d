import type { RegistryCredential } from '../credential/registry-credential.ts';

/** A credential as the token source returns it, for `host`, with a recognisable password. */
export function credentialFor(
  host: string,
  password = 'fixture-password-0123456789',
  fetchedAt = new Date(),
): RegistryCredential {
  return {
    host,
    username: 'AWS',
    password,
    auth: Buffer.from(`AWS:${password}`).toString('base64'),
    fetchedAt,
    expiresAt: new Date(fetchedAt.getTime() + 12 * 3600_000),
  };
}
