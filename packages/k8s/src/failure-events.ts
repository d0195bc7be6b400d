import { hostname } from 'node:os';
import {
  AwsAuthError,
  ConfigError,
  EcrUnavailableError,
  TokenError,
  redactSecrets,
  type ApplyContext,
  type EcrRefreshError,
} from '@ecr-refresh/core';
import { KubernetesApiError, SecretConflictError, ServiceAccountMissingError } from './errors.ts';
import type { KubeApi, KubeEvent, KubeObjectReference } from './kube-api.ts';

/** `reportingController` of our Events (a qualified name, as the API requires). */
export const EVENT_CONTROLLER = 'ecr-refresh';

/** At most one write (create, or series update) per object and reason in this time, in one process. */
export const EVENT_INTERVAL_MS = 10 * 60_000;

// The API refuses a longer note (NoteLengthLimit, in bytes) and a longer reportingInstance.
const NOTE_LIMIT_BYTES = 1024;
const INSTANCE_LIMIT = 128;
const NAME_LIMIT = 253;

// An Event about a cluster-scoped object (a Namespace) must live in `default` (or kube-system).
const CLUSTER_SCOPED_EVENTS_NAMESPACE = 'default';

/** What failed, for an Event: the Secret when it exists, else its namespace. */
export interface TargetFailure {
  /** The kubeconfig context, so clusters never share a series. */
  readonly cluster: string;
  readonly api: Pick<KubeApi, 'createEvent' | 'patchEventSeries'>;
  readonly namespace: string;
  /** The Secret in place, when it was seen; the Event then regards it, else the namespace. */
  readonly secret?: KubeObjectReference | undefined;
  readonly error: EcrRefreshError;
}

/** Records failed targets as Kubernetes Events, a few at most. */
export interface FailureEvents {
  /**
   * Emits (or counts) a Warning Event for `failure`; nothing in a dry run or an interrupted run,
   * nor when the failure is the API server's own (no answer, 429, 5xx).
   * Never throws: a failed write is logged (a warning once per cluster and status, then debug).
   */
  record(failure: TargetFailure, context: RecordContext): Promise<void>;
}

/** What of a run's context {@link FailureEvents.record} reads. */
export type RecordContext = Pick<ApplyContext, 'dryRun' | 'signal' | 'logger' | 'now'>;

/** One series of Events: one object, one reason, in one cluster. */
interface Series {
  readonly name: string;
  readonly namespace: string;
  count: number;
  lastObservedAt: number;
  lastWrittenAt: number;
}

/**
 * Warning Events (events.k8s.io/v1) for failed targets, on the Secret when it exists (so
 * `kubectl events --for secret/<name>` shows them), else on its Namespace, with a reason telling the kind of
 * failure (`Forbidden`, `SecretConflict`, …) and the error's message as the note (never a secret:
 * messages carry none by construction, and are redacted once more).
 *
 * Following client-go's events library, a recurrence of the same object and reason is one Event
 * with a `series` (count, last observed) rather than a new Event, and at most one write per
 * object and reason is made per `intervalMs`: the first occurrence creates the Event, later ones
 * are counted, and the count is written by the first recurrence after the interval. A series
 * unseen for longer than the interval has ended: the next occurrence starts a new Event. State is
 * per process: a one-shot run (a CronJob's) writes one Event per failing object and reason.
 */
export function createFailureEvents(
  options: { intervalMs?: number | undefined; instance?: string | undefined } = {},
): FailureEvents {
  const intervalMs = options.intervalMs ?? EVENT_INTERVAL_MS;
  const instance = (options.instance ?? `${EVENT_CONTROLLER}-${hostname()}`).slice(
    0,
    INSTANCE_LIMIT,
  );
  const series = new Map<string, Series>();
  const warned = new Set<string>();
  let sequence = 0;

  /** Creates the Event of a new series, or counts a recurrence and writes the count once the interval has passed. */
  const write = async (
    failure: TargetFailure,
    context: RecordContext,
    at: number,
  ): Promise<void> => {
    const reason = eventReasonOf(failure.error);
    const regarding = failure.secret ?? namespaceReference(failure.namespace);
    const namespace = regarding.namespace ?? CLUSTER_SCOPED_EVENTS_NAMESPACE;
    const key = [failure.cluster, namespace, regarding.kind, regarding.name, reason].join('\0');
    const known = series.get(key);
    if (known === undefined) {
      const name = eventName(regarding.name, at, sequence++);
      series.set(key, { name, namespace, count: 1, lastObservedAt: at, lastWrittenAt: at });
      await failure.api.createEvent(
        eventOf({ name, namespace, reason, regarding, instance, note: noteOf(failure.error), at }),
      );
      return;
    }
    known.count += 1;
    known.lastObservedAt = at;
    if (at - known.lastWrittenAt < intervalMs) {
      context.logger.debug(
        { context: failure.cluster, namespace, event: known.name, count: known.count },
        'Event not written again yet: counted in its series',
      );
      return;
    }
    known.lastWrittenAt = at;
    try {
      await failure.api.patchEventSeries(namespace, known.name, {
        count: known.count,
        lastObservedTime: microTime(at),
      });
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.status === 404)) throw error;
      // The Event expired (an hour by default) while its series went on: start a new one.
      series.delete(key);
      await write(failure, context, at);
    }
  };

  /** A warning the first time per cluster and status, then debug lines. */
  const reportWriteFailure = (
    failure: TargetFailure,
    context: RecordContext,
    error: unknown,
  ): void => {
    const status = error instanceof KubernetesApiError ? error.status : undefined;
    const message =
      status === 403
        ? 'not allowed to write Events (grant create and patch on events.k8s.io events, or pass --no-events): the failure is only logged'
        : 'could not write an Event about the failed target: the failure is only logged';
    const once = `${failure.cluster}\0${status ?? 'none'}`;
    const fields = {
      context: failure.cluster,
      namespace: failure.namespace,
      status,
      error: error instanceof Error ? redactSecrets(error.message) : String(error),
    };
    if (warned.has(once)) context.logger.debug(fields, message);
    else context.logger.warn(fields, message);
    warned.add(once);
  };

  return {
    async record(failure, context) {
      if (context.dryRun || context.signal.aborted || apiServerFailing(failure.error)) return;
      const at = context.now().getTime();
      forgetEnded(series, at, intervalMs);
      try {
        await write(failure, context, at);
      } catch (error) {
        reportWriteFailure(failure, context, error);
      }
    },
  };
}

/** The Event's reason: the kind of failure, in UpperCamelCase as Kubernetes' own reasons are. */
export function eventReasonOf(error: EcrRefreshError): string {
  if (error instanceof KubernetesApiError && error.status === 403) return 'Forbidden';
  if (error instanceof SecretConflictError) return 'SecretConflict';
  if (error instanceof ServiceAccountMissingError) return 'ServiceAccountMissing';
  if (
    error instanceof AwsAuthError ||
    error instanceof EcrUnavailableError ||
    error instanceof TokenError
  )
    return 'CredentialsUnavailable';
  // A Secret in place whose .dockerconfigjson is not a docker config.
  if (error instanceof ConfigError) return 'InvalidSecret';
  return 'RefreshFailed';
}

/**
 * Whether the failure is the API server's own (no answer, 429, 5xx, after the transport's
 * retries): an Event would meet the same trouble, and only add to it.
 */
function apiServerFailing(error: EcrRefreshError): boolean {
  return (
    error instanceof KubernetesApiError &&
    (error.status === undefined || error.status === 429 || error.status >= 500)
  );
}

function forgetEnded(series: Map<string, Series>, at: number, intervalMs: number): void {
  for (const [key, entry] of series) if (at - entry.lastObservedAt > intervalMs) series.delete(key);
}

function namespaceReference(namespace: string): KubeObjectReference {
  return { apiVersion: 'v1', kind: 'Namespace', name: namespace };
}

function eventOf(event: {
  name: string;
  namespace: string;
  reason: string;
  regarding: KubeObjectReference;
  instance: string;
  note: string;
  at: number;
}): KubeEvent {
  return {
    metadata: { name: event.name, namespace: event.namespace },
    eventTime: microTime(event.at),
    reportingController: EVENT_CONTROLLER,
    reportingInstance: event.instance,
    action: 'Refresh',
    reason: event.reason,
    regarding: event.regarding,
    note: event.note,
    type: 'Warning',
  };
}

/** `<object>.<hex>`, as client-go names Events; cut so that it stays a valid name. */
function eventName(object: string, at: number, sequence: number): string {
  const suffix = (BigInt(at) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
  const base = object.slice(0, NAME_LIMIT - suffix.length - 1).replace(/[-.]+$/, '');
  return `${base}.${suffix}`;
}

/** The error's message, redacted, cut to the API's 1024 bytes without splitting a character. */
function noteOf(error: EcrRefreshError): string {
  const note = redactSecrets(error.message);
  if (Buffer.byteLength(note) <= NOTE_LIMIT_BYTES) return note;
  let cut = note.slice(0, NOTE_LIMIT_BYTES - 3);
  while (Buffer.byteLength(`${cut}…`) > NOTE_LIMIT_BYTES) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A MicroTime: RFC 3339 with six fractional digits, as the API parses it. */
function microTime(at: number): string {
  return new Date(at).toISOString().replace(/Z$/, '000Z');
}
