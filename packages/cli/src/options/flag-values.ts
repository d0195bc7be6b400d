// How repeated flags, ECR_REFRESH_* variables and config-file values reach a subcommand: a
// scalar may arrive twice (a flag after a config file's value), a list comma-separated.
import { quoteInput } from '@ecr-refresh/core';

/** A scalar flag given twice (a flag after a config file's value, say): the last one wins, as in kubectl. */
export function last<T>(value: T | T[]): T {
  return Array.isArray(value) ? (value.at(-1) as T) : value;
}

/** Repeated and comma-separated values (flags, ECR_REFRESH_* variables, the config file) as one list. */
export function list(values: readonly unknown[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => String(value).split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/**
 * Repeated `key=value` flags (`--secret-label team=payments`) as a map; with a `separator`, each
 * value may also hold several (commas for labels; newlines for annotations, whose values may hold
 * commas). The value is everything after the first `=`, and may be empty. An entry without `=`, or
 * a key given twice with two values, is added to `problems` as `<flag>: …`.
 */
export function keyValues(
  values: readonly unknown[] | undefined,
  flag: string,
  problems: string[],
  separator?: string,
): Record<string, string> {
  const map: Record<string, string> = {};
  const entries = (values ?? [])
    .flatMap((value) =>
      separator === undefined ? [String(value)] : String(value).split(separator),
    )
    .filter((entry) => entry.trim() !== '');
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) {
      problems.push(`${flag}: ${quoteInput(entry)} is not key=value (for example team=payments)`);
      continue;
    }
    const key = entry.slice(0, equals).trim();
    const value = entry.slice(equals + 1);
    if (key in map && map[key] !== value)
      problems.push(
        `${flag}: ${quoteInput(key)} is given twice, with ${quoteInput(map[key] ?? '')} and ${quoteInput(value)}`,
      );
    map[key] = value;
  }
  return map;
}
