// The public API of @ecr-refresh/rancher1.
export { createRancher1Sink } from './rancher1-sink.ts';
export { Rancher1SinkOptions, validateRancher1SinkOptions } from './options.ts';
export { parseCattleUrl, CATTLE_API_VERSIONS } from './cattle-endpoint.ts';
export type { CattleEndpoint, CattleApiVersion, ParsedEndpoint } from './cattle-endpoint.ts';
export {
  RancherApiError,
  RancherAuthError,
  RancherUnavailableError,
  RancherTlsError,
  RancherResponseError,
  EnvironmentNotFoundError,
  RegistryMissingError,
  RegistryInactiveError,
} from './errors.ts';
export type { CattleErrorDetail } from './errors.ts';
