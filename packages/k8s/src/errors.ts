import {
  RequestError,
  SinkWriteError,
  type EcrRefreshErrorOptions,
  type RequestFacts,
} from '@ecr-refresh/core';

/** What is known about a failed Kubernetes API request; never a header, a body or a secret. */
export interface KubernetesRequestFacts extends Omit<RequestFacts, 'url'> {
  /** The API path, e.g. `/api/v1/namespaces/team-a/secrets/ecr-pull-credentials` (the context names the server). */
  readonly path: string;
  /** `Status.reason` of the answer (`NotFound`, `AlreadyExists`, `Conflict`, `Forbidden`, …). */
  readonly reason?: string | undefined;
}

/**
 * A Kubernetes API request that failed: core's {@link RequestError} (method, path as `url`,
 * status, network error code) with the context it was sent to and the Status reason, never the
 * raw client error (whose message embeds the response headers). Retryable by core's retry rule,
 * and for 409 Conflict: another writer won the race, and the next run reads again.
 */
export class KubernetesApiError extends RequestError {
  override name = 'KubernetesApiError';
  override readonly code = 'ERR_K8S_API';
  /** The kubeconfig context of the cluster. */
  readonly target: string;
  readonly reason: string | undefined;

  constructor(
    target: string,
    facts: KubernetesRequestFacts,
    message: string,
    options: EcrRefreshErrorOptions = {},
  ) {
    super(
      { ...facts, url: facts.path },
      message,
      facts.status === 409 ? { retryable: true, ...options } : options,
    );
    this.target = target;
    this.reason = facts.reason;
  }

  /** The API path requested (the same as `url`). */
  get path(): string {
    return this.url;
  }
}

/**
 * A Secret of our name is in the way: it is not ours (no `app.kubernetes.io/managed-by` label of
 * ecr-refresh) and adopting was not asked for, or it has another type, which Kubernetes never
 * lets change. The Secret is left exactly as it was.
 */
export class SecretConflictError extends SinkWriteError {
  override name = 'SecretConflictError';
  override readonly code = 'ERR_K8S_SECRET_CONFLICT';

  constructor(sinkId: string, target: string, message: string) {
    super(sinkId, target, message, { retryable: false });
  }
}

/** A ServiceAccount to patch does not exist in the namespace. */
export class ServiceAccountMissingError extends SinkWriteError {
  override name = 'ServiceAccountMissingError';
  override readonly code = 'ERR_K8S_SERVICE_ACCOUNT_MISSING';

  constructor(sinkId: string, target: string, message: string) {
    super(sinkId, target, message, { retryable: false });
  }
}
