// The public API of @ecr-refresh/core. Everything a sink package or a library user needs, and
// nothing else: no deep imports.
export {
  EcrRefreshError,
  ConfigError,
  InvalidRegistryError,
  TokenError,
  AwsAuthError,
  EcrUnavailableError,
  SinkWriteError,
  isEcrRefreshError,
  toEcrRefreshError,
} from './errors.ts';
export type { EcrRefreshErrorOptions } from './errors.ts';

export { parseRegistry, parseRegistryHost, buildRegistryTarget, isKnownRegion } from './registry/registry-target.ts';
export { quoteInput } from './text/quote-input.ts';
export type { RegistryTarget, EndpointVariant } from './registry/registry-target.ts';

export {
  DOCUMENTED_TOKEN_LIFETIME_MS,
  effectiveExpiry,
  isFresh,
  refreshDueAt,
} from './credential/registry-credential.ts';
export type { CredentialRecord, RegistryCredential } from './credential/registry-credential.ts';

export { identityKey, rolePartitionMismatch, validateAwsIdentity } from './identity/aws-identity.ts';
export { missingProfiles } from './identity/shared-profiles.ts';
export type { AwsIdentity, IdentityProblem } from './identity/aws-identity.ts';
export { createTokenSource } from './token/token-source.ts';
export type { TokenSource, TokenSourceOptions } from './token/token-source.ts';
export { decodeAuthorizationToken } from './token/decode-token.ts';
export type { DecodedToken } from './token/decode-token.ts';
export type { EcrApi, EcrApiFactory, EcrApiSettings, EcrAuthorizationAnswer, EcrAuthorizationData } from './token/ecr-api.ts';
export { DEFAULT_TIMEOUTS } from './http/http-timeouts.ts';
export type { HttpTimeouts } from './http/http-timeouts.ts';
export { agentFor, describeProxyFor } from './http/proxy-agent.ts';
export { proxyUrlFor } from './http/proxy-url.ts';
export { USER_AGENT, VERSION } from './http/user-agent.ts';

export {
  DockerConfig,
  DockerAuthEntry,
  decodeDockerConfig,
  encodeDockerConfig,
  mergeCredentials,
  authEntryFor,
  findAuthEntry,
  normalizeAuthKey,
} from './docker-config/docker-config.ts';
export { createDockerConfigSink, defaultDockerConfigPath } from './docker-config/docker-config-sink.ts';
export type { DockerConfigSinkOptions } from './docker-config/docker-config-sink.ts';

export type { Sink, ApplyContext, TargetResult, TargetAction, ValidationProblem, WatchOptions } from './sink/sink.ts';
export { refresh } from './refresh.ts';
export { runRefreshService } from './service/refresh-service.ts';
export type { RefreshServiceOptions } from './service/refresh-service.ts';
export { DEFAULT_SCHEDULE, delayAfterFailure, delayAfterSuccess, expiresBeforeNextAttempt } from './service/schedule.ts';
export type { ScheduleOptions } from './service/schedule.ts';
export { createServiceMetrics } from './service/metrics.ts';
export type { ServiceMetrics } from './service/metrics.ts';
export { startHealthServer } from './service/health-server.ts';
export type { HealthServer, HealthState } from './service/health-server.ts';
export { createWakeUp } from './service/wake-up.ts';
export type { WakeUp } from './service/wake-up.ts';
export { createCachingTokenSource } from './token/caching-token-source.ts';
export type { RefreshOptions, RefreshReport } from './refresh.ts';

export { createLogger, silentLogger, LOG_LEVELS, LOG_FORMATS } from './log/logger.ts';
export type { Logger, LogLevel, LogFormat, CreateLoggerOptions } from './log/logger.ts';
export { registerSecret, registerCredentialPair, redactSecrets } from './log/redaction.ts';
