import { StringDecoder } from 'node:string_decoder';
import { KubernetesApiError } from '../errors.ts';
import { apiErrorOfFailure } from './to-kubernetes-api-error.ts';
import type { KubeWatchCalls, KubeWatchEvent, KubeWatchQuery } from '../kube-api.ts';
import type { KubeHttpClient } from './http-client.ts';

// The server ends each watch after this long; the caller resumes from the last resourceVersion.
// Shorter than the stream's idle limit (http-client.ts), so a healthy but quiet watch is never taken for a dead one.
const WATCH_TIMEOUT_S = 240;
const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * The watch calls of one cluster over `http`: the collection's current `resourceVersion` (a list
 * of one item), and its changes as a stream of newline-separated JSON events, each checked
 * before use. A watch never ends on its own: the server closes it after {@link WATCH_TIMEOUT_S}.
 */
export function watchCallsOver(http: KubeHttpClient): KubeWatchCalls {
  const selectors = (query: KubeWatchQuery) => ({
    labelSelector: query.labelSelector,
    fieldSelector: query.fieldSelector,
  });
  return {
    async listResourceVersion(query, signal) {
      const list = (await http.request('GET', query.path, {
        query: { limit: 1, ...selectors(query) },
        signal,
      })) as { metadata?: { resourceVersion?: unknown } } | undefined;
      const version = list?.metadata?.resourceVersion;
      if (typeof version !== 'string' || version === '')
        throw invalid(http, query.path, 'the list answer has no metadata.resourceVersion');
      return version;
    },
    async *watch(query, resourceVersion, signal) {
      const parameters = {
        watch: 1,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_S,
        ...selectors(query),
      };
      const body = await http.stream(query.path, parameters, signal);
      const decoder = new StringDecoder('utf8');
      let pending = '';
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          pending += decoder.write(chunk);
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines)
            if (line.trim() !== '') yield parseEvent(http, line, query.path);
        }
      } catch (error) {
        throw apiErrorOfFailure(error, 'GET', query.path, http.target);
      } finally {
        body.destroy();
      }
    },
  };
}

// The stream is the server's: an event is checked before use, like every other answer.
function parseEvent(http: KubeHttpClient, line: string, path: string): KubeWatchEvent {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    throw invalid(http, path, 'a watch event is not JSON');
  }
  const { type, object } = (event ?? {}) as { type?: unknown; object?: unknown };
  if (
    typeof type !== 'string' ||
    !EVENT_TYPES.has(type) ||
    typeof object !== 'object' ||
    object === null
  ) {
    throw invalid(http, path, 'a watch event has no known type or no object');
  }
  return { type: type as KubeWatchEvent['type'], object: object as KubeWatchEvent['object'] };
}

function invalid(http: KubeHttpClient, path: string, what: string): KubernetesApiError {
  return new KubernetesApiError(http.target, { method: 'GET', path }, `GET ${path}: ${what}`);
}
