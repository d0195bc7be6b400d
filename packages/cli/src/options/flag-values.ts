// How repeated flags, ECR_REFRESH_* variables and config-file values reach a subcommand: a
// scalar may arrive twice (a flag after a config file's value), a list comma-separated.

/** A scalar flag given twice (a flag after a config file's value, say): the last one wins, as in kubectl. */
export function last<T>(value: T | T[]): T {
  return Array.isArray(value) ? (value.at(-1) as T) : value;
}

/** Repeated and comma-separated values (flags, ECR_REFRESH_* variables, the config file) as one list. */
export function list(values: readonly unknown[] | undefined): string[] {
  return (values ?? []).flatMap((value) => String(value).split(',')).map((value) => value.trim()).filter((value) => value !== '');
}
