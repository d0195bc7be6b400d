import type { ValidationProblem } from '../sink/sink.ts';
import { quoteInput } from './quote-input.ts';

/** One problem a schema found (a zod issue): where in the input, and what is expected there. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** How {@link schemaProblems} and {@link describeSchemaIssues} name the place of an issue. */
export interface IssuePlaces {
  /** Put before every place: the input's name (`rancher2.`, `config: /etc/ecr-refresh.yaml: `). */
  readonly prefix?: string | undefined;
  /** The place of an issue about the whole input (default `(top level)`). */
  readonly root?: string | undefined;
  /** Names a path, instead of joining its keys with dots (the CLI's flag names). */
  readonly name?: ((path: readonly PropertyKey[]) => string) | undefined;
  /**
   * The input that was parsed: a string found at an issue's path is quoted (see `quoteInput`)
   * before the message, so the user sees what was given. Leave it out for input holding secrets.
   */
  readonly input?: unknown;
}

/**
 * Every issue as a {@link ValidationProblem}: `path` names the input at fault (`rancher2.projects.0`,
 * `(top level)`), `message` says what is expected there, after the value given when `input` is
 * passed. One problem per issue, in the schema's order, so a run reports all of them at once.
 */
export function schemaProblems(
  issues: readonly SchemaIssue[],
  places: IssuePlaces = {},
): ValidationProblem[] {
  return issues.map((issue) => {
    const key = places.name?.(issue.path) ?? issue.path.map(String).join('.');
    const value = 'input' in places ? valueAt(places.input, issue.path) : undefined;
    return {
      path: `${places.prefix ?? ''}${key === '' ? (places.root ?? '(top level)') : key}`,
      message: typeof value === 'string' ? `${quoteInput(value)} ${issue.message}` : issue.message,
    };
  });
}

/** Every issue as `place: message`, for a `ConfigError` or an error's message (see {@link schemaProblems}). */
export function describeSchemaIssues(
  issues: readonly SchemaIssue[],
  places: IssuePlaces = {},
): string[] {
  return schemaProblems(issues, places).map((problem) => `${problem.path}: ${problem.message}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
