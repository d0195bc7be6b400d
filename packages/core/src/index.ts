// The public API of @ecr-refresh/core: what a sink package or a library user needs (see the
// README's "Library use"), and nothing else: no deep imports. Helpers used only inside core are
// not exported here.
export {
  EcrRefreshError,
  ConfigError,
  InvalidRegistryError,
  TokenError,
  AwsAuthError,
  EcrUnavailableError,
  SinkWriteError,
  toEcrRefreshError,
} from './errors.ts';
export type { EcrRefreshErrorOptions } from './errors.ts';

export {
  parseRegistry,
  parseRegistryHost,
  buildRegistryTarget,
} from './registry/registry-target.ts';
export type { RegistryTarget, RegistryKind, EndpointVariant } from './registry/registry-target.ts';
export { isValidRegion, partitionOfRegion, regionProblem } from './registry/aws-region.ts';
export type { AwsPartition } from './registry/aws-region.ts';
export { ECR_PUBLIC_REGION } from './registry/public-registry.ts';
export { quoteInput } from './text/quote-input.ts';
export { describeSchemaIssues, schemaProblems } from './text/schema-issues.ts';

export { combinedRecord, isFresh, refreshDueAt } from './credential/registry-credential.ts';
export type { CredentialRecord, RegistryCredential } from './credential/registry-credential.ts';

export {
  identityKey,
  rolePartitionMismatch,
  validateAwsIdentity,
} from './identity/aws-identity.ts';
export { missingProfiles } from './identity/shared-profiles.ts';
export type { AwsIdentity, IdentityProblem } from './identity/aws-identity.ts';
export { createTokenSource } from './token/token-source.ts';
export type { TokenSource, TokenSourceOptions } from './token/token-source.ts';

export { agentFor } from './http/proxy-agent.ts';
export { USER_AGENT } from './http/user-agent.ts';
export { RequestError } from './http/request-error.ts';
export type { RequestFacts } from './http/request-error.ts';
export { isRetryable, parseRetryAfter, retryDelayMs } from './http/retry-rule.ts';
export type { RequestRetry } from './http/retry-rule.ts';
export { redactUrl } from './http/redact-url.ts';

export {
  DockerConfig,
  decodeDockerConfig,
  encodeDockerConfig,
  mergeCredentials,
  findAuthEntry,
} from './docker-config/docker-config.ts';
export { createDockerConfigSink } from './docker-config/docker-config-sink.ts';
export type { DockerConfigSinkOptions } from './docker-config/docker-config-sink.ts';

export type {
  Sink,
  ApplyContext,
  TargetResult,
  TargetAction,
  ValidationProblem,
  WatchOptions,
} from './sink/sink.ts';
export { refresh } from './refresh.ts';
export type { RefreshOptions, RefreshReport } from './refresh.ts';
export { runRefreshService } from './service/refresh-service.ts';
export type { RefreshServiceOptions } from './service/refresh-service.ts';
export type { WakeUp } from './service/wake-up.ts';
export { DEFAULT_SCHEDULE, delayAfterFailure } from './service/schedule.ts';
export { createServiceMetrics } from './service/metrics.ts';
export { startHealthServer } from './service/health-server.ts';
export type { HealthState } from './service/health-server.ts';

export { createLogger, silentLogger } from './log/logger.ts';
export type { Logger, LogLevel, LogFormat, CreateLoggerOptions } from './log/logger.ts';
export { registerSecret, registerCredentialPair, redactSecrets } from './log/redaction.ts';
