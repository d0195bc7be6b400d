import { EcrRefreshError, type EcrRefreshErrorOptions } from '../errors.ts';
import { redactUrl } from './redact-url.ts';
import { isRetryable } from './retry-rule.ts';

/** What is known of an HTTP request that failed: never a header, a body or a secret. */
export interface RequestFacts {
  readonly method: string;
  /** The URL requested, or its path where the server is named elsewhere; redacted when stored. */
  readonly url: string;
  /** The HTTP status, absent when no answer came (refused, reset, timed out, TLS failure). */
  readonly status?: number | undefined;
  /** Node's error code when no answer came, or the answer broke off (`ECONNREFUSED`, `ETIMEDOUT`). */
  readonly errorCode?: string | undefined;
}

/**
 * A request to a server that failed, as every HTTP sink reports it (modelled on got's
 * `RequestError`): method, redacted URL, status or network error code, and `retryable` by the
 * one rule of `retry-rule.ts` unless the sink says otherwise. Sinks extend it with their
 * domain's facts and codes (`KubernetesApiError` and its Status reason, `RancherApiError` and
 * Cattle's code). It never holds the client's own error, whose options carry the credentials.
 */
export class RequestError extends EcrRefreshError {
  override name = 'RequestError';
  override readonly code: string = 'ERR_REQUEST';
  readonly method: string;
  /** The URL requested (or its path), redacted: no user, no password, no secret query value. */
  readonly url: string;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;

  constructor(facts: RequestFacts, message: string, options: EcrRefreshErrorOptions = {}) {
    super(message, { retryable: isRetryable(facts), ...options });
    this.method = facts.method;
    this.url = redactUrl(facts.url);
    this.status = facts.status;
    this.errorCode = facts.errorCode;
  }
}
