/**
 * Process-wide registry of secrets that must never be printed. Secrets are registered the moment
 * they are obtained (an ECR password as soon as the token is decoded, an API secret as soon as it
 * is read from the configuration), and every log line and printed error passes through
 * {@link redactSecrets} on its way out.
 */

const MASK = '[REDACTED]';
// Shorter values would mask ordinary words; no real secret we handle is this short.
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

/**
 * Registers a secret for redaction, together with the forms in which it could leak: base64 (as in
 * a docker `auth` field or a Basic header), URL-encoded, and JSON-escaped.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return;
  const forms = [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
  for (const form of forms) {
    if (form.length >= MIN_SECRET_LENGTH) secrets.add(form);
  }
  pattern = undefined;
}

/**
 * Registers the credential pair `user:secret` in every form a registry or API client encodes it
 * (the ECR authorization token and a docker `auth` field are base64 of `AWS:<password>`).
 */
export function registerCredentialPair(user: string, secret: string): void {
  registerSecret(secret);
  registerSecret(`${user}:${secret}`);
}

/** Returns `text` with every registered secret, in any registered form, replaced by a mask. */
export function redactSecrets(text: string): string {
  if (secrets.size === 0) return text;
  pattern ??= buildPattern();
  return text.replace(pattern, MASK);
}

/** @internal Forgets every registered secret; for tests only. */
export function clearSecretsForTesting(): void {
  secrets.clear();
  pattern = undefined;
}

function buildPattern(): RegExp {
  // Longest first, so a secret that contains another is masked whole.
  const alternatives = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(alternatives.join('|'), 'g');
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
