// Query parameters whose value may be a credential: tokens, keys, signatures (presigned URLs).
const SECRET_PARAMETER = /token|secret|password|passwd|key|signature|credential|auth|sig$/i;

/**
 * `url` as messages and logs may show it: without user and password, and with the value of every
 * query parameter that may carry a credential (`access_token`, `X-Amz-Signature`, `apiKey`, …)
 * replaced by `REDACTED`. A URL with neither is returned as it is; a relative one (a path) keeps its form. got strips only the user and
 * password (`stripUrlAuth`); a token in a query would otherwise reach the message.
 */
export function redactUrl(url: string): string {
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(url);
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://relative.invalid');
  } catch {
    // Not a URL: nothing in it can be told apart, so nothing of it is shown.
    return '(an invalid URL)';
  }
  const secrets = [...new Set(parsed.searchParams.keys())].filter((name) =>
    SECRET_PARAMETER.test(name),
  );
  if (parsed.username === '' && parsed.password === '' && secrets.length === 0) return url;
  parsed.username = '';
  parsed.password = '';
  for (const name of secrets) parsed.searchParams.set(name, 'REDACTED');
  return relative ? `${parsed.pathname}${parsed.search}${parsed.hash}` : parsed.href;
}
