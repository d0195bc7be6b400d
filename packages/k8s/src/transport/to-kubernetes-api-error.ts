import { KubernetesApiError } from '../errors.ts';
import { errorCodeOf } from './retries.ts';

// Node's codes for a system call that failed (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EAI_AGAIN…):
// the code says it all, the message repeats it with an address. Not ERR_… (ERR_TLS_CERT_ALTNAME_INVALID):
// their messages say more.
const ERRNO_CODE = /^E(?!RR_)[A-Z_]+$/;

/**
 * The {@link KubernetesApiError} of an answer that is not a success: its status, and the
 * `reason`/`message` of the Kubernetes Status it carries. A 401's message says the status alone:
 * an authenticating proxy (Rancher's, an OIDC gateway) answers it with anything or nothing, and
 * `explained-failures.ts` says what it means; its reason is kept.
 */
export function apiErrorOfAnswer(
  status: number,
  body: string,
  method: string,
  path: string,
  target: string,
): KubernetesApiError {
  const { reason, message } = statusBody(body);
  const what =
    status === 401 ? '' : [reason, message].filter((part) => part !== undefined).join(': ');
  return new KubernetesApiError(
    target,
    { method, path, status, reason },
    `${method} ${path}: HTTP ${status}${what === '' ? '' : ` ${what}`}`,
  );
}

/**
 * The {@link KubernetesApiError} of a request that got no answer: the system error's code
 * (ECONNREFUSED, ETIMEDOUT) or, for a TLS failure, Node's message ("unable to verify the first
 * certificate"), which `explained-failures.ts` recognises.
 */
export function apiErrorOfFailure(
  error: unknown,
  method: string,
  path: string,
  target: string,
): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const errorCode = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const attempts = /\(after (\d+) attempts\)$/.exec(message)?.[1];
  const detail =
    errorCode !== undefined && ERRNO_CODE.test(errorCode)
      ? `${errorCode}${attempts === undefined ? '' : `, after ${attempts} attempts`}`
      : message;
  return new KubernetesApiError(
    target,
    { method, path, errorCode },
    `${method} ${path}: no answer from the API server (${detail})`,
  );
}

function statusBody(body: string): { reason?: string; message?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  return {
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(typeof message === 'string' && message !== '' ? { message: message.slice(0, 300) } : {}),
  };
}
