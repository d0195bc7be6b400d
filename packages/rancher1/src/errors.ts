/**
 * The errors of the Rancher 1.x sink. Each has a stable `code`; messages name the access key
 * (the public half), the environment and the request at fault, never the secret key or a
 * password. None carries a raw `got` error as its cause: got's errors hold the request options,
 * and with them the Authorization header.
 */
import { EcrRefreshError, type EcrRefreshErrorOptions } from '@ecr-refresh/core';

/** What a Cattle error body says, when the server sent one (`{type: "error", status, code, message, fieldName}`). */
export interface CattleErrorDetail {
  readonly status: number;
  /** Cattle's code: `MissingRequired`, `ServerAddressUsed`, `NotFound`, … */
  readonly cattleCode?: string | undefined;
  readonly fieldName?: string | undefined;
}

/**
 * Rancher answered a request with an error status other than 401/403. `retryable` for 5xx,
 * 408 and 429 (already retried with backoff before this is thrown).
 */
export class RancherApiError extends EcrRefreshError {
  override name = 'RancherApiError';
  override readonly code = 'ERR_RANCHER_API';
  readonly status: number;
  readonly cattleCode: string | undefined;
  readonly fieldName: string | undefined;

  constructor(message: string, detail: CattleErrorDetail, options: EcrRefreshErrorOptions = {}) {
    super(message, options);
    this.status = detail.status;
    this.cattleCode = detail.cattleCode;
    this.fieldName = detail.fieldName;
  }
}

/**
 * Rancher refused the API key: 401 (unknown key or wrong secret) or 403/405 (the key may not do
 * this in that environment). Not retryable until the key or its rights change.
 */
export class RancherAuthError extends EcrRefreshError {
  override name = 'RancherAuthError';
  override readonly code = 'ERR_RANCHER_AUTH';
  readonly status: number;

  constructor(message: string, status: number, options: EcrRefreshErrorOptions = {}) {
    super(message, options);
    this.status = status;
  }
}

/** Rancher could not be reached, or timed out, on every attempt. Retryable. */
export class RancherUnavailableError extends EcrRefreshError {
  override name = 'RancherUnavailableError';
  override readonly code = 'ERR_RANCHER_UNAVAILABLE';

  constructor(message: string, options: EcrRefreshErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** Rancher's TLS certificate was not trusted (or did not match its host). Not retryable until the CA bundle or the URL changes. */
export class RancherTlsError extends EcrRefreshError {
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
