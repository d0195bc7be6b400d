import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_SCHEDULE,
  delayAfterFailure,
  toEcrRefreshError,
  type Logger,
  type WatchOptions,
} from '@ecr-refresh/core';
import { KubernetesApiError } from './errors.ts';
import type { KubeWatchCalls, KubeWatchEvent, KubeWatchQuery } from './kube-api.ts';

/** Reconnect delays: from a quick retry after a dropped connection up to a patient one while the server is away. */
const WATCH_BACKOFF = { ...DEFAULT_SCHEDULE, backoffInitialMs: 500, backoffMaxMs: 30_000 };

/** Options of {@link watchCollection}. */
export interface CollectionWatchOptions {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** The cluster's context, named in errors. */
  readonly target: string;
  /** Every ADDED, MODIFIED and DELETED event, in order; must not throw. */
  onEvent(event: KubeWatchEvent): void;
  /** The watch had to start over from a new list (410 Gone): events in between may be lost. */
  onResync(): void;
  /**
   * Called each time the watch takes a new starting version (the first time, and after a 410),
   * before watching from it: a caller that keeps state of the collection reads it here, so that
   * the events from then on apply to what it read. A rejection is a failed attempt (retried).
   */
  onListed?: (() => Promise<void>) | undefined;
  /** Reconnect delays; default {@link WATCH_BACKOFF}. */
  readonly backoff?:
    | { readonly backoffInitialMs: number; readonly backoffMaxMs: number }
    | undefined;
}

/**
 * What every watch of a sink's cluster shares: the service's signal, a logger naming the context,
 * and a resync reported as a change (events may have been missed, so a refresh is due).
 */
export function watchSettingsOf(
  context: string,
  watch: WatchOptions,
  backoff: CollectionWatchOptions['backoff'],
): Omit<CollectionWatchOptions, 'onEvent'> {
  return {
    signal: watch.signal,
    logger: watch.logger.child({ context }),
    target: context,
    backoff,
    onResync: () =>
      watch.onChange(`${context}: a watch started over, changes may have been missed`),
  };
}

/**
 * Watches one collection until `signal` aborts, across every way a watch ends: a stream the
 * server closes (its timeout, a restart) is resumed from the last `resourceVersion` seen (events
 * and bookmarks), so nothing in between is lost; a version the server no longer has (410 Gone)
 * starts over from a fresh list and calls `onResync`; a failed connection or a refused request
 * is retried with capped exponential backoff, logged, never thrown. Resolves once stopped.
 */
export async function watchCollection(
  api: KubeWatchCalls,
  query: KubeWatchQuery,
  options: CollectionWatchOptions,
): Promise<void> {
  const { signal, logger } = options;
  const backoff = { ...WATCH_BACKOFF, ...options.backoff };
  let resourceVersion: string | undefined;
  let resyncing = false;
  let failures = 0;
  while (!signal.aborted) {
    let events = 0;
    try {
      if (resourceVersion === undefined) {
        const listed = await api.listResourceVersion(query, signal);
        await options.onListed?.();
        resourceVersion = listed;
        if (resyncing) options.onResync();
        resyncing = false;
      }
      for await (const event of api.watch(query, resourceVersion, signal)) {
        events += 1;
        if (event.type === 'ERROR') throw errorEvent(event, query.path, options.target);
        failures = 0;
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type !== 'BOOKMARK') options.onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof KubernetesApiError && error.status === 410) {
        logger.info({ path: query.path }, 'watch expired (410 Gone): listing again');
        resourceVersion = undefined;
        resyncing = true;
      } else {
        const failure = toEcrRefreshError(error, `watch of ${query.path} failed`);
        logger.warn(
          { path: query.path, error: failure.message, failures: failures + 1 },
          'watch interrupted: reconnecting',
        );
      }
      events = 0;
    }
    // A stream that ended before any event is a failed attempt too: a server that closes watches
    // at once, or answers 410 to every version, must not make the loop spin.
    if (events === 0) {
      failures += 1;
      await sleep(delayAfterFailure(failures, backoff), undefined, { signal }).catch(
        () => undefined,
      );
    }
  }
}

function errorEvent(event: KubeWatchEvent, path: string, target: string): KubernetesApiError {
  const { code, reason, message } = event.object as {
    code?: unknown;
    reason?: unknown;
    message?: unknown;
  };
  const status = typeof code === 'number' ? code : undefined;
  const text = [reason, message].filter((part) => typeof part === 'string').join(': ');
  return new KubernetesApiError(
    target,
    { method: 'GET', path, status, reason: typeof reason === 'string' ? reason : undefined },
    `GET ${path}: watch error ${status ?? ''} ${text}`.trim(),
  );
}
