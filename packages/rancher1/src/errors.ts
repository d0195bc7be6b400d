/**
 * The errors of the Rancher 1.x sink. Each has a stable `code`; messages name the access key
 * (the public half), the environment and the request at fault, never the secret key or a
 * password. None carries a raw `got` error as its cause: got's errors hold the request options,
 * and with them the Authorization header. Those of a failed request extend core's
 * {@link RequestError} (method, redacted URL, status or network error code; `retryable` by core's
 * retry rule, the rule the client retried by).
 */
import {
  EcrRefreshError,
  RequestError,
  type EcrRefreshErrorOptions,
  type RequestFacts,
} from '@ecr-refresh/core';

/** What a Cattle error body says, when the server sent one (`{type: "error", status, code, message, fieldName}`). */
export interface CattleErrorDetail {
  /** Cattle's code: `MissingRequired`, `ServerAddressUsed`, `NotFound`, … */
  readonly cattleCode?: string | undefined;
  readonly fieldName?: string | undefined;
}

/**
 * Rancher answered a request with an error status other than 401/403/405. `retryable` for 408,
 * 429 and the 5xx of core's retry rule (already retried with backoff before this is thrown).
 */
export class RancherApiError extends RequestError {
  override name = 'RancherApiError';
  override readonly code = 'ERR_RANCHER_API';
  readonly cattleCode: string | undefined;
  readonly fieldName: string | undefined;

  constructor(
    facts: RequestFacts & { readonly status: number },
    message: string,
    detail: CattleErrorDetail = {},
    options: EcrRefreshErrorOptions = {},
  ) {
    super(facts, message, options);
    this.cattleCode = detail.cattleCode;
    this.fieldName = detail.fieldName;
  }
}

/**
 * Rancher refused the API key: 401 (unknown key or wrong secret) or 403/405 (the key may not do
 * this in that environment). Not retryable until the key or its rights change.
 */
export class RancherAuthError extends RequestError {
  override name = 'RancherAuthError';
  override readonly code = 'ERR_RANCHER_AUTH';
}

/**
 * Rancher could not be reached, timed out, or its answer broke off, on every attempt. Retryable
 * for a failed, reset or silent connection; not for a host name that does not resolve.
 */
export class RancherUnavailableError extends RequestError {
  override name = 'RancherUnavailableError';
  override readonly code = 'ERR_RANCHER_UNAVAILABLE';
}

/** Rancher's TLS certificate was not trusted (or did not match its host). Not retryable until the CA bundle or the URL changes. */
export class RancherTlsError extends RequestError {
  override name = 'RancherTlsError';
  override readonly code = 'ERR_RANCHER_TLS';
}

/** Rancher answered 2xx with a body that is not what the Cattle API documents. */
export class RancherResponseError extends EcrRefreshError {
  override name = 'RancherResponseError';
  override readonly code = 'ERR_RANCHER_RESPONSE';
}

/** An environment named by id or name is not one the API key can reach (or the name is ambiguous). */
export class EnvironmentNotFoundError extends EcrRefreshError {
  override name = 'EnvironmentNotFoundError';
  override readonly code = 'ERR_RANCHER_ENVIRONMENT';
}

/** No registry in the environment has the ECR host as `serverAddress`, and creating one was not allowed. */
export class RegistryMissingError extends EcrRefreshError {
  override name = 'RegistryMissingError';
  override readonly code = 'ERR_RANCHER_REGISTRY_MISSING';
}

/** The registry exists but is not `active` (Rancher uses only active registries for pulls), and activating it was not allowed. */
export class RegistryInactiveError extends EcrRefreshError {
  override name = 'RegistryInactiveError';
  override readonly code = 'ERR_RANCHER_REGISTRY_INACTIVE';
}
