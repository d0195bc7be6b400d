/**
 * What the test run captured and which secrets it used, gathered in one place so a root hook can
 * prove that no secret reached an output (see leak-check-hooks.ts). Peers and helpers call
 * {@link noteSecret} where they make or hand out a secret; {@link runCli} records every run's
 * output with {@link recordCapture}.
 */

/** One piece of output the suites captured: CLI stdout or stderr, a metrics page, a log. */
export interface Capture {
  /** Where it came from, for the failure message (`ecr-refresh k8s … stderr`). */
  readonly source: string;
  readonly text: string;
}

/** One secret found in one capture, described without the secret itself. */
export interface Leak {
  readonly source: string;
  readonly form: 'plain' | 'base64' | 'base64url' | 'url-encoded';
  readonly secretLength: number;
}

// Shorter values (a test's "SK", "x") occur in any text by chance and prove nothing.
const SHORTEST_SECRET = 8;
// Outputs are kept whole up to this size; a huge one is kept in head and tail (tests of huge inputs).
const KEPT_CHARS = 1 << 20;

const secrets = new Set<string>();
const captures: Capture[] = [];

/** Remembers a secret the tests use (a key, a password, a token); short or empty values are ignored. */
export function noteSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= SHORTEST_SECRET) secrets.add(value);
}

/** Remembers one output the suites captured, to be checked for secrets at the end of the run. */
export function recordCapture(source: string, text: string): void {
  if (text === '') return;
  const kept =
    text.length <= KEPT_CHARS
      ? text
      : `${text.slice(0, KEPT_CHARS / 2)}\n…\n${text.slice(-KEPT_CHARS / 2)}`;
  captures.push({ source, text: kept });
}

/** Everything noted so far: the secrets and the captures. */
export function collected(): { secrets: readonly string[]; captures: readonly Capture[] } {
  return { secrets: [...secrets], captures };
}

/** The forms in which a secret would show up in text: as is, base64 (standard and URL-safe), URL-encoded. */
export function formsOf(secret: string): Array<{ form: Leak['form']; text: string }> {
  const bytes = Buffer.from(secret);
  const forms: Array<{ form: Leak['form']; text: string }> = [
    { form: 'plain', text: secret },
    // Padding dropped: base64 inside a longer string may carry none.
    { form: 'base64', text: bytes.toString('base64').replace(/=+$/, '') },
    { form: 'base64url', text: bytes.toString('base64url') },
    { form: 'url-encoded', text: encodeURIComponent(secret) },
  ];
  return forms.filter(
    (candidate, index) => forms.findIndex((other) => other.text === candidate.text) === index,
  );
}

/** Every secret, in every form of {@link formsOf}, found in `captures`. */
export function findLeaks(
  secretsToFind: readonly string[],
  capturesToSearch: readonly Capture[],
): Leak[] {
  const leaks: Leak[] = [];
  for (const capture of capturesToSearch) {
    for (const secret of secretsToFind) {
      const found = formsOf(secret).find(({ text }) => capture.text.includes(text));
      if (found !== undefined)
        leaks.push({ source: capture.source, form: found.form, secretLength: secret.length });
    }
  }
  return leaks;
}
