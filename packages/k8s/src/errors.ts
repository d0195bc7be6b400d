import { SinkWriteError, type EcrRefreshErrorOptions } from '@ecr-refresh/core';

const SINK_ID = 'k8s';

/** What is known about a failed Kubernetes API request; never a header, a body or a secret. */
export interface KubernetesRequestFacts {
  readonly method: string;
  /** The API path, e.g. `/api/v1/namespaces/team-a/secrets/ecr-pull-credentials`. */
  readonly path: string;
  /** The HTTP status, absent when no answer came (refused, timed out, TLS failure). */
  readonly status?: number | undefined;
  /** `Status.reason` of the answer (`NotFound`, `AlreadyExists`, `Conflict`, `Forbidden`, …). */
  readonly reason?: string | undefined;
}

/**
 * A Kubernetes API request that failed: carries the method, path, HTTP status and the Status
 * reason, never the raw client error (whose message embeds the response headers). Retryable for
 * 409 Conflict, 429, 5xx and no answer at all.
 */
export class KubernetesApiError extends SinkWriteError {
  override name = 'KubernetesApiError';
  override readonly code = 'ERR_K8S_API';
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(target: string, facts: KubernetesRequestFacts, message: string, options: EcrRefreshErrorOptions = {}) {
    super(SINK_ID, target, message, { retryable: isRetryableStatus(facts.status), ...options });
    this.method = facts.method;
    this.path = facts.path;
    this.status = facts.status;
    this.reason = facts.reason;
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

function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 409 || status === 429 || status >= 500;
}
