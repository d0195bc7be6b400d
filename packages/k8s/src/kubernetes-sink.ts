import pLimit from 'p-limit';
import {
  SinkWriteError,
  toEcrRefreshError,
  type ApplyContext,
  type Sink,
  type TargetResult,
} from '@ecr-refresh/core';
import { readInPlace, type InPlace } from './in-place.ts';
import { createFailureEvents, type FailureEvents } from './failure-events.ts';
import { connectClusters, type ClusterConnection } from './kube-config.ts';
import type { KubeObjectReference } from './kube-api.ts';
import {
  EXCLUDE_LABEL,
  resolveNamespaces,
  type ResolvedNamespaces,
} from './namespace-selection.ts';
import {
  parseKubernetesSinkOptions,
  secretNameIn,
  servesFleet,
  type KubernetesSinkOptions,
  type KubernetesSinkOptionsInput,
} from './options.ts';
import { secretMetadataOf } from './secret-metadata.ts';
import { addPullSecret } from './service-accounts.ts';
import { applyToFleet, fleetManagementOf } from './rancher2/fleet.ts';
import { watchFleet } from './rancher2/fleet-watch.ts';
import { watchClusters } from './kubernetes-watch.ts';
import type { RequestPolicy } from './transport/retries.ts';
import type { CollectionWatchOptions } from './watch-collection.ts';
import { writeSecret } from './write-secret.ts';

const SINK_ID = 'k8s';

/** Progress of a long run, one call per namespace finished. */
export interface KubernetesProgress {
  readonly context: string;
  readonly done: number;
  readonly total: number;
}

/** What the sink runs on, for embedding and tests; every field has a default. */
export interface KubernetesSinkRuntime {
  /** The clusters to serve; default: from the kubeconfig, as the options choose them. */
  readonly clusters?: readonly ClusterConnection[] | undefined;
  /** Root of the in-cluster ServiceAccount files (default `/`), for tests. */
  readonly inClusterRoot?: string | undefined;
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST are read (default `process.env`), for tests. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Called after each namespace; must not throw. */
  readonly onProgress?: ((progress: KubernetesProgress) => void) | undefined;
  /** Told of each retried API request (a 429, a 5xx, a broken connection); must not throw. */
  readonly onRetry?: RequestPolicy['onRetry'];
  /** Reconnect delays of the watches (default: from 0.5 s up to 30 s), for tests. */
  readonly watchBackoff?: CollectionWatchOptions['backoff'];
  /** Where failed targets are told as Events (default: Events at most once per object and reason per 10 min). */
  readonly events?: FailureEvents | undefined;
}

/**
 * The Kubernetes sink: one `kubernetes.io/dockerconfigjson` Secret per chosen namespace of every
 * chosen cluster, holding every registry of the run, written in place (never deleted), with the
 * chosen ServiceAccounts referencing it. Targets are reported as `<context>/<namespace>`; a
 * cluster whose namespaces cannot be listed is one failed target named by its context. When the
 * namespaces are listed, what is in place is read with a few cluster-wide lists rather than per
 * namespace, so only what needs writing costs requests (see `in-place.ts`). In service mode,
 * `watch` reports new namespaces and deleted or altered Secrets (see `kubernetes-watch.ts`), and
 * for a Rancher fleet also clusters added or becoming ready (see `rancher2/fleet-watch.ts`). A
 * failed namespace gets a Warning Event, on its Secret or else on the Namespace (unless `events`
 * is off, and never in a dry run; see `failure-events.ts`).
 *
 * Options are validated and the kubeconfig is read here, synchronously: an invalid option, an
 * unreadable kubeconfig or an unknown context throws `ConfigError` before any request.
 */
export function createKubernetesSink(
  input: KubernetesSinkOptionsInput,
  runtime: KubernetesSinkRuntime = {},
): Sink {
  const options = parseKubernetesSinkOptions(input);
  const clusters =
    runtime.clusters ??
    connectClusters({
      kubeconfig: options.kubeconfig,
      contexts: options.contexts,
      inClusterRoot: runtime.inClusterRoot,
      env: runtime.env,
      timeoutMs: options.timeoutMs,
      onRetry: runtime.onRetry,
    });
  const events = options.events ? (runtime.events ?? createFailureEvents()) : undefined;
  const management = servesFleet(options) ? fleetManagementOf(clusters) : undefined;
  const serve = (cluster: ClusterConnection, context: ApplyContext) =>
    applyToCluster(cluster, options, context, { onProgress: runtime.onProgress, events });
  return {
    id: SINK_ID,
    // Everything checkable without the network was checked above; the API server's answers
    // (a missing namespace, a denied verb) are per-target failures of the run.
    validate: async () => [],
    async apply(context) {
      if (management !== undefined) return applyToFleet(management, options, context, serve);
      const perCluster = await Promise.all(clusters.map((cluster) => serve(cluster, context)));
      return perCluster.flat();
    },
    watch: async (watchOptions) => {
      if (management !== undefined)
        return watchFleet(management, options, watchOptions, runtime.watchBackoff);
      await watchClusters(clusters, options, watchOptions, runtime.watchBackoff);
    },
  };
}

async function applyToCluster(
  cluster: ClusterConnection,
  options: KubernetesSinkOptions,
  context: ApplyContext,
  {
    onProgress,
    events,
  }: { onProgress: KubernetesSinkRuntime['onProgress']; events: FailureEvents | undefined },
): Promise<TargetResult[]> {
  let resolved: ResolvedNamespaces;
  try {
    resolved = await resolveNamespaces(cluster.api, options, cluster.namespace);
  } catch (error) {
    return [
      {
        sink: SINK_ID,
        target: cluster.context,
        cluster: cluster.context,
        action: 'failed',
        error: toEcrRefreshError(error, `cannot list the namespaces of ${cluster.context}`),
      },
    ];
  }
  if (resolved.labelsUnread !== undefined) {
    context.logger.warn(
      { context: cluster.context, error: resolved.labelsUnread.message },
      `not allowed to read the named namespaces, so their ${EXCLUDE_LABEL} label is not honoured: grant get on namespaces (see the shipped RBAC)`,
    );
  }
  const namespaces = resolved.served;
  const base = (namespace: string) => ({
    sink: SINK_ID,
    target: `${cluster.context}/${namespace}`,
    cluster: cluster.context,
    ...(context.dryRun ? { dryRun: true } : {}),
  });
  const notServed = [
    ...resolved.optedOut.map(
      (namespace): TargetResult => ({
        ...base(namespace),
        action: 'unchanged',
        reason: `left alone: the namespace is labelled ${EXCLUDE_LABEL}=true`,
      }),
    ),
    ...resolved.unread.map(
      ({ namespace, error }): TargetResult => ({
        ...base(namespace),
        action: 'failed',
        error: toEcrRefreshError(error, `cannot read namespace ${namespace}`),
      }),
    ),
  ];
  // What is in place, read with a few lists when the namespaces were listed (see in-place.ts).
  const inPlace = await readInPlace(cluster.api, namespaces, options, {
    context,
    cluster: cluster.context,
  });
  const limit = pLimit(options.concurrency);
  let done = 0;
  const served = await Promise.all(
    namespaces.map((namespace) =>
      limit(async () => {
        const { result, secret } = await applyToNamespace(
          cluster,
          namespace,
          options,
          context,
          inPlace,
        );
        if (result.error !== undefined)
          await events?.record(
            { cluster: cluster.context, api: cluster.api, namespace, secret, error: result.error },
            context,
          );
        done += 1;
        onProgress?.({ context: cluster.context, done, total: namespaces.length });
        return result;
      }),
    ),
  );
  return [...notServed, ...served];
}

/** One namespace's result, and its Secret when one was seen (what an Event about a failure regards). */
interface NamespaceOutcome {
  readonly result: TargetResult;
  readonly secret?: KubeObjectReference | undefined;
}

async function applyToNamespace(
  cluster: ClusterConnection,
  namespace: string,
  options: KubernetesSinkOptions,
  context: ApplyContext,
  inPlace: InPlace,
): Promise<NamespaceOutcome> {
  const target = `${cluster.context}/${namespace}`;
  const listedSecret = inPlace.takeSecret(namespace);
  const listedAccounts = inPlace.takeServiceAccounts(namespace);
  const base = {
    sink: SINK_ID,
    target,
    cluster: cluster.context,
    ...(context.dryRun ? { dryRun: true } : {}),
  };
  if (context.signal.aborted) {
    return {
      result: {
        ...base,
        action: 'failed',
        error: new SinkWriteError(SINK_ID, target, 'not attempted: the run was interrupted', {
          retryable: true,
        }),
      },
    };
  }
  const secretName = secretNameIn(options, namespace);
  let outcome: Awaited<ReturnType<typeof writeSecret>> | undefined;
  let secret: KubeObjectReference | undefined;
  try {
    const onSecret = (seen: KubeObjectReference) => (secret = seen);
    outcome = await writeSecret(
      cluster.api,
      { namespace, name: secretName, sink: SINK_ID, target, metadata: secretMetadataOf(options) },
      context,
      { ...options, onSecret },
      listedSecret,
    );
    const patched =
      options.serviceAccounts.length === 0
        ? []
        : await addPullSecret(
            cluster.api,
            { namespace, names: options.serviceAccounts, secretName, sink: SINK_ID, target },
            { dryRun: context.dryRun, signal: context.signal, listed: listedAccounts },
          );
    const action =
      outcome.action === 'unchanged' && patched.length > 0 ? 'updated' : outcome.action;
    const reasons = [
      outcome.reason,
      patched.length > 0
        ? `added to imagePullSecrets of ServiceAccount ${patched.join(', ')}`
        : undefined,
    ];
    const reason = reasons.filter((part) => part !== undefined).join('; ');
    return {
      result: { ...base, action, record: outcome.record, ...(reason === '' ? {} : { reason }) },
    };
  } catch (error) {
    const failure = toEcrRefreshError(error, `cannot update ${target}`);
    return {
      result: {
        ...base,
        action: 'failed',
        error: failure,
        ...(outcome === undefined ? {} : { record: outcome.record }),
      },
      secret,
    };
  }
}
