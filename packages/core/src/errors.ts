/**
 * The error hierarchy of ecr-refresh. Every error has a stable `code` (`ERR_…`) that callers and
 * tests match on, a `retryable` flag saying whether trying again later may succeed, and the
 * underlying `cause`. Messages name the input at fault and never contain a secret.
 */

/** Options shared by every ecr-refresh error. */
export interface EcrRefreshErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

/** Base class of every error ecr-refresh throws or reports. */
export class EcrRefreshError extends Error {
  override name = 'EcrRefreshError';
  readonly code: string = 'ERR_ECR_REFRESH';
  readonly retryable: boolean;

  constructor(message: string, options: EcrRefreshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/**
 * Thrown when options, flags, environment variables or a config file are invalid. `problems`
 * lists every problem found as `path: message`, so one run reports all of them at once.
 * Nothing has been written when this is thrown.
 */
export class ConfigError extends EcrRefreshError {
  override name = 'ConfigError';
  override readonly code: string = 'ERR_INVALID_CONFIG';
  readonly problems: readonly string[];

  constructor(problems: readonly string[] | string, options: EcrRefreshErrorOptions = {}) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(
      list.length === 1 ? (list[0] ?? '') : `invalid configuration:\n  - ${list.join('\n  - ')}`,
      options,
    );
    this.problems = list;
  }
}

/** Thrown when a registry host or `account:region` pair is not a valid private ECR registry. */
export class InvalidRegistryError extends ConfigError {
  override name = 'InvalidRegistryError';
  override readonly code = 'ERR_INVALID_REGISTRY';
}

/** Thrown when ECR returns an authorization token that cannot be decoded. */
export class TokenError extends EcrRefreshError {
  override name = 'TokenError';
  override readonly code = 'ERR_ECR_TOKEN';
}

/**
 * Thrown when AWS credentials are missing, rejected or not allowed to call
 * `ecr:GetAuthorizationToken`. Retrying does not help until the configuration changes.
 */
export class AwsAuthError extends EcrRefreshError {
  override name = 'AwsAuthError';
  override readonly code = 'ERR_AWS_AUTH';
}

/** Thrown when ECR (or STS) could not be reached or kept failing after retries. Retryable. */
export class EcrUnavailableError extends EcrRefreshError {
  override name = 'EcrUnavailableError';
  override readonly code = 'ERR_ECR_UNAVAILABLE';

  constructor(message: string, options: EcrRefreshErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** Reported when a sink could not write one target; carries the sink and the target. */
export class SinkWriteError extends EcrRefreshError {
  override name = 'SinkWriteError';
  override readonly code: string = 'ERR_SINK_WRITE';
  readonly sinkId: string;
  readonly target: string;

  constructor(
    sinkId: string,
    target: string,
    message: string,
    options: EcrRefreshErrorOptions = {},
  ) {
    super(message, options);
    this.sinkId = sinkId;
    this.target = target;
  }
}

/** Wraps anything thrown into an {@link EcrRefreshError}, keeping ecr-refresh errors as they are. */
export function toEcrRefreshError(error: unknown, fallbackMessage: string): EcrRefreshError {
  if (error instanceof EcrRefreshError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new EcrRefreshError(`${fallbackMessage}: ${detail}`, { cause: error });
}
