/** How much of an input a message quotes; longer inputs are cut, with their length said. */
const QUOTED_CHARS = 80;

/**
 * An input as error messages show it: in double quotes with control characters escaped (a
 * newline in a flag cannot forge a second log line), and cut to its first 80 characters with its
 * length when longer, so a megabyte-sized value makes a one-line message, not a megabyte of stderr.
 * Never pass a secret: quoting is not redaction.
 */
export function quoteInput(value: string): string {
  if (value.length <= QUOTED_CHARS) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED_CHARS)).slice(0, -1)}…" (${value.length} characters)`;
}
