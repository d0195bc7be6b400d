import { ApiException } from '@kubernetes/client-node';
import { KubernetesApiError } from './errors.ts';

/**
 * Converts whatever a client call threw into a {@link KubernetesApiError}: the status and the
 * Status `reason`/`message` of an `ApiException` (whose body is the raw response text), or the
 * network error's code when no answer came.
 */
export function toKubernetesApiError(error: unknown, method: string, path: string, target: string): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  if (error instanceof ApiException) {
    const status = statusBody(error.body);
    const what = [status.reason, status.message].filter((part) => part !== undefined).join(': ');
    return new KubernetesApiError(
      target,
      { method, path, status: error.code, reason: status.reason },
      `${method} ${path}: HTTP ${error.code}${what === '' ? '' : ` ${what}`}`,
    );
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return new KubernetesApiError(target, { method, path }, `${method} ${path}: no answer from the API server (${detail})`);
}

function statusBody(body: unknown): { reason?: string; message?: string } {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  return {
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(typeof message === 'string' && message !== '' ? { message: message.slice(0, 300) } : {}),
  };
}
