import { isRetryable, redactUrl, type RequestFacts } from '@ecr-refresh/core';
import { RequestError } from 'got';
import { CattleErrorBody } from './cattle-resources.ts';
import {
  RancherApiError,
  RancherAuthError,
  RancherTlsError,
  RancherUnavailableError,
} from './errors.ts';

/** What a failed request was, for the message: never the headers, never the body sent. */
export interface RequestDescription {
  readonly method: string;
  /** The URL requested; redacted before it is shown. */
  readonly url: string;
  readonly accessKey: string;
  /** The environment the request was for, as the user would name it. */
  readonly environment: string;
  readonly attempts: number;
}

// Node's codes for an untrusted, expired or mismatched certificate.
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

/**
 * Turns whatever `got` threw into one of this sink's errors, each a core `RequestError`. The got
 * error itself is dropped, not kept as `cause`: its `options` hold the Authorization header (a
 * pino serializer or a `console.log` of the cause would print the secret key). Only the status,
 * Cattle's error body and the network error code survive.
 */
export function toRancherError(error: unknown, request: RequestDescription): Error {
  const where = `${request.method} ${redactUrl(request.url)}`;
  if (!(error instanceof RequestError))
    return error instanceof Error ? error : new Error(String(error));
  const status = error.response?.statusCode;
  const facts: RequestFacts = {
    method: request.method,
    url: request.url,
    status,
    errorCode: error.code,
  };
  const tries = request.attempts > 1 ? ` after ${request.attempts} attempts` : '';
  if (status === undefined && TLS_CODES.test(error.code)) {
    return new RancherTlsError(
      facts,
      `Rancher's TLS certificate is not trusted for environment ${request.environment}: ${where} failed with ${error.code}; ` +
        'give the CA that signed it with --ca-file (verification is never turned off)',
    );
  }
  if (status === undefined) {
    return new RancherUnavailableError(
      facts,
      `cannot reach Rancher for environment ${request.environment}: ${where} failed with ${error.code}${tries}`,
    );
  }
  if (status < 300) {
    // A success status that still threw: the answer broke off while being read (ECONNRESET).
    return new RancherUnavailableError(
      facts,
      `Rancher's answer to ${where} for environment ${request.environment} was cut off (${error.code})${tries}; a write may or may not have been applied`,
    );
  }
  const body = CattleErrorBody.safeParse(parseJson(error.response?.body));
  const cattle = body.success ? body.data : undefined;
  const said =
    cattle === undefined
      ? ''
      : `: ${[cattle.code, cattle.message ?? cattle.detail].filter(Boolean).join(': ')}`;
  // An HTTP error is the status alone: got's code for it (ERR_NON_2XX_3XX_RESPONSE) is no network failure.
  const answered = { method: request.method, url: request.url, status };
  if (status === 401) {
    return new RancherAuthError(
      answered,
      `Rancher rejected access key ${request.accessKey} (HTTP 401${said}) for environment ${request.environment} at ${where}: ` +
        'the key is unknown or the secret key is wrong; check CATTLE_ACCESS_KEY and CATTLE_SECRET_KEY (--access-key, --secret-key)',
    );
  }
  if (status === 403 || status === 405) {
    return new RancherAuthError(
      answered,
      `access key ${request.accessKey} may not do ${where} in environment ${request.environment} (HTTP ${status}${said}): ` +
        'use an environment API key of that environment, or an account key of an owner or member of it',
    );
  }
  const field = cattle?.fieldName == null ? '' : ` (field ${cattle.fieldName})`;
  // Only a retryable status was retried: only its message says how often.
  const retried = isRetryable({ status }) ? tries : '';
  return new RancherApiError(
    answered,
    `Rancher refused ${where} for environment ${request.environment}: HTTP ${status}${said}${field}${retried}`,
    {
      cattleCode: cattle?.code,
      fieldName: cattle?.fieldName ?? undefined,
    },
  );
}

function parseJson(body: unknown): unknown {
  const text =
    typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  if (text === undefined) return body;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
