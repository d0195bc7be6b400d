import { ConfigError, schemaProblems, type ValidationProblem } from '@ecr-refresh/core';
import * as z from 'zod';
import { parseCattleUrl, type CattleEndpoint } from './cattle-endpoint.ts';

// Keys are pasted from the UI or a Secret: whitespace or a newline inside is always a paste error.
const KEY = /^[\x21-\x7e]+$/;

/**
 * The options of `createRancher1Sink`, as a zod schema (unknown keys are rejected) with the
 * type of the same name. `url`, `accessKey` and `secretKey` are what a catalog container
 * receives as `CATTLE_URL`, `CATTLE_ACCESS_KEY` and `CATTLE_SECRET_KEY`.
 */
export const Rancher1SinkOptions = z.strictObject({
  /** Cattle API URL in any form users paste (see {@link parseCattleUrl}). */
  url: z.string(),
  /** API access key (public): an environment key, or an account key. */
  accessKey: z.string().regex(KEY, 'must be the key alone: no spaces, tabs or newlines'),
  secretKey: z.string().regex(KEY, 'must be the key alone: no spaces, tabs or newlines'),
  /**
   * Environments by id (`1a5`) or name. Empty: the environment the URL names, else every
   * environment the key can reach (an environment key reaches only its own).
   */
  environments: z.array(z.string().trim().min(1, 'must not be empty')).default([]),
  /** Create the registry (and its credential) in environments that have none for a host. */
  autoCreate: z.boolean().default(false),
  /** Activate a registry found inactive instead of reporting it. */
  activate: z.boolean().default(false),
  /** PEM bundle trusted for Rancher's TLS certificate, instead of Node's default CAs. */
  ca: z
    .string()
    .includes('-----BEGIN CERTIFICATE-----', 'must be a PEM certificate bundle')
    .optional(),
  /** E-mail sent with a credential on the v1 API, which requires one. */
  email: z.email('must be an e-mail address like ops@example.com').optional(),
  /** Environments worked on at the same time. */
  concurrency: z.int().min(1).max(64).default(4),
  /** Milliseconds one request may take. */
  timeoutMs: z.int().positive().max(600_000).default(15_000),
  /** Retries of a request that failed with 5xx, 408, 429, a reset or a timeout; delays double from `baseDelayMs`. */
  retry: z
    .strictObject({
      limit: z.int().min(0).max(10).default(3),
      baseDelayMs: z.int().min(0).max(60_000).default(1_000),
    })
    .default({ limit: 3, baseDelayMs: 1_000 }),
});
export type Rancher1SinkOptions = z.input<typeof Rancher1SinkOptions>;

/** The options after validation, with the URL normalised. */
export type ResolvedRancher1Options = Omit<z.output<typeof Rancher1SinkOptions>, 'url'> & {
  endpoint: CattleEndpoint;
};

/**
 * Validates `input` and returns every problem at once, each with `path` the option at fault.
 * Messages never quote the secret key.
 */
export function validateRancher1SinkOptions(input: unknown): ValidationProblem[] {
  const result = resolve(input);
  return 'problems' in result ? result.problems : [];
}

/** Validates and normalises the options; throws {@link ConfigError} listing every problem as `path: message`. */
export function resolveRancher1Options(input: unknown): ResolvedRancher1Options {
  const result = resolve(input);
  if ('problems' in result)
    throw new ConfigError(result.problems.map((problem) => `${problem.path}: ${problem.message}`));
  return result.options;
}

function resolve(
  input: unknown,
): { options: ResolvedRancher1Options } | { problems: ValidationProblem[] } {
  const parsed = Rancher1SinkOptions.safeParse(input);
  // No `input`: a value is never quoted, as the options hold the secret key.
  const problems: ValidationProblem[] = parsed.success
    ? []
    : schemaProblems(parsed.error.issues, { root: '(options)' });
  const url = (input as { url?: unknown } | null)?.url;
  const endpoint = typeof url === 'string' ? parseCattleUrl(url) : undefined;
  if (endpoint !== undefined && 'problem' in endpoint)
    problems.push({ path: 'url', message: endpoint.problem });
  if (!parsed.success || endpoint === undefined || 'problem' in endpoint || problems.length > 0)
    return { problems };
  const { url: _url, ...rest } = parsed.data;
  return { options: { ...rest, endpoint: endpoint.endpoint } };
}
