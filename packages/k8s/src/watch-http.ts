import { StringDecoder } from 'node:string_decoder';
import { ApiException, HttpMethod, RequestContext, type SecurityAuthentication } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';
import { toKubernetesApiError } from './to-kubernetes-api-error.ts';
import type { KubeWatchCalls, KubeWatchEvent, KubeWatchQuery } from './kube-api.ts';

// The server ends each watch after this long; the caller resumes from the last resourceVersion.
// Shorter than the idle limit below, so a healthy but quiet watch is never taken for a dead one.
const WATCH_TIMEOUT_S = 240;
// No byte for this long (not even a bookmark) means the connection is dead: give it up.
const IDLE_LIMIT_MS = (WATCH_TIMEOUT_S + 60) * 1000;
const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * The watch calls of one cluster as plain streaming GETs on undici, with the same kubeconfig
 * authentication (headers, CA, client certificate, proxy) as every other call: the generated
 * client reads answers whole, and a watch never ends. `target` names the context in errors.
 */
export function watchCallsOver(server: string, authentication: SecurityAuthentication, target: string): KubeWatchCalls {
  const get = async (query: KubeWatchQuery, parameters: Record<string, string>, signal: AbortSignal) => {
    const search = new URLSearchParams({
      ...parameters,
      ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
      ...(query.fieldSelector === undefined ? {} : { fieldSelector: query.fieldSelector }),
    });
    const context = new RequestContext(`${server}${query.path}?${search.toString()}`, HttpMethod.GET);
    await authentication.applySecurityAuthentication(context);
    const dispatcher: Dispatcher | undefined = context.getDispatcher();
    try {
      const response = await request(context.getUrl(), {
        method: 'GET',
        headers: { ...context.getHeaders(), Accept: 'application/json' },
        signal,
        bodyTimeout: IDLE_LIMIT_MS,
        ...(dispatcher === undefined ? {} : { dispatcher }),
      });
      if (response.statusCode !== 200) {
        const body = await response.body.text();
        throw new ApiException(response.statusCode, 'watch refused', body, {});
      }
      return response.body;
    } catch (error) {
      throw toKubernetesApiError(error, 'GET', query.path, target);
    }
  };
  return {
    async listResourceVersion(query, signal) {
      const body = await get(query, { limit: '1' }, signal);
      const list = (await body.json()) as { metadata?: { resourceVersion?: unknown } };
      const version = list.metadata?.resourceVersion;
      if (typeof version !== 'string' || version === '') {
        throw toKubernetesApiError(new Error('the list answer has no metadata.resourceVersion'), 'GET', query.path, target);
      }
      return version;
    },
    async *watch(query, resourceVersion, signal) {
      const body = await get(query, { watch: '1', resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(WATCH_TIMEOUT_S) }, signal);
      const decoder = new StringDecoder('utf8');
      let pending = '';
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          pending += decoder.write(chunk);
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) if (line.trim() !== '') yield parseEvent(line, query.path, target);
        }
      } catch (error) {
        throw toKubernetesApiError(error, 'GET', query.path, target);
      } finally {
        body.destroy();
      }
    },
  };
}

// The stream is the server's: an event is checked before use, like every other answer.
function parseEvent(line: string, path: string, target: string): KubeWatchEvent {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    throw toKubernetesApiError(new Error('a watch event is not JSON'), 'GET', path, target);
  }
  const { type, object } = (event ?? {}) as { type?: unknown; object?: unknown };
  if (typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof object !== 'object' || object === null) {
    throw toKubernetesApiError(new Error('a watch event has no known type or no object'), 'GET', path, target);
  }
  return { type: type as KubeWatchEvent['type'], object: object as KubeWatchEvent['object'] };
}
