import pLimit from 'p-limit';
import {
  ConfigError,
  SinkWriteError,
  toEcrRefreshError,
  type ApplyContext,
  type EcrRefreshError,
  type TargetResult,
} from '@ecr-refresh/core';
import type { ClusterConnection } from '../kube-config.ts';
import type { KubernetesSinkOptions } from '../options.ts';
import {
  describeFleetCluster,
  lookUpFleet,
  type FleetCluster,
  type FleetLookup,
} from './fleet-clusters.ts';
import { CLUSTERS, LOCAL_CLUSTER_ID } from './rancher-objects.ts';

/** Serves one cluster's namespaces (the Kubernetes sink's own per-cluster work) under `context`. */
export type ServeCluster = (
  cluster: ClusterConnection,
  context: ApplyContext,
) => Promise<TargetResult[]>;

/** The fleet's management connection: Rancher's context, which reaches every cluster by id. */
export type FleetManagement = ClusterConnection & {
  readonly reach: NonNullable<ClusterConnection['reach']>;
};

/**
 * The one context a fleet is served through, checked offline: it must go through Rancher's proxy
 * (`https://<rancher>/k8s/clusters/<id>`), where the same token reaches every other cluster.
 * Throws {@link ConfigError} otherwise.
 */
export function fleetManagementOf(clusters: readonly ClusterConnection[]): FleetManagement {
  const [management] = clusters;
  if (management?.reach === undefined)
    throw new ConfigError(
      `k8s.rancherClusters: context "${management?.context ?? ''}" does not go through Rancher's proxy; ` +
        `use a kubeconfig of Rancher's local cluster, whose server is https://<rancher>/k8s/clusters/${LOCAL_CLUSTER_ID}, ` +
        `with a Rancher API key (a pod's own ServiceAccount token reaches no other cluster through Rancher)`,
    );
  return management as FleetManagement;
}

/**
 * Serves the Rancher clusters the options choose, each through Rancher's proxy with the
 * management context's credential, as one more {@link ClusterConnection} named by its id (so
 * targets read `<cluster id>/<namespace>`). At most `clusterConcurrency` clusters at a time, each
 * within `clusterTimeoutMs`: a cluster that cannot be reached, is forbidden or is too slow fails
 * alone, named by id and display name. A chosen cluster that is not ready is skipped, reported
 * `unchanged` with the reason, and warned of. A name that matches no cluster is a failed target.
 */
export async function applyToFleet(
  management: FleetManagement,
  options: KubernetesSinkOptions,
  context: ApplyContext,
  serve: ServeCluster,
): Promise<TargetResult[]> {
  let lookup: FleetLookup;
  try {
    lookup = await lookUpFleet(management.api, {
      clusters: options.rancherClusters,
      selector: options.rancherClusterSelector,
    });
  } catch (error) {
    const failure = toEcrRefreshError(error, 'request failed');
    const what = `cannot list Rancher's clusters (${CLUSTERS.plural}.${CLUSTERS.group}) through ${management.context}`;
    return [failed(management.context, prefixed(management.context, what, failure), context)];
  }
  const unknown = lookup.problems.map(({ selection, message }) =>
    failed(selection, new ConfigError(`k8s.rancherClusters: ${message}`), context),
  );
  const skipped = lookup.notReady.map(({ cluster, reason }): TargetResult => {
    context.logger.warn(
      { sink: 'k8s', cluster: cluster.id, clusterName: cluster.displayName, reason },
      `Rancher cluster ${describeFleetCluster(cluster)} skipped: ${reason}`,
    );
    return {
      sink: 'k8s',
      target: cluster.id,
      cluster: cluster.id,
      action: 'unchanged',
      reason: `skipped: cluster ${describeFleetCluster(cluster)} is ${reason}`,
      ...(context.dryRun ? { dryRun: true } : {}),
    };
  });
  const limit = pLimit(options.clusterConcurrency);
  const served = await Promise.all(
    lookup.served.map((cluster) =>
      limit(async () =>
        namedFailures(
          cluster,
          await serveWithin(
            cluster,
            connectionTo(management, cluster),
            options.clusterTimeoutMs,
            context,
            serve,
          ),
        ),
      ),
    ),
  );
  return [...unknown, ...skipped, ...served.flat()];
}

/** A downstream cluster as one more connection, named by its id, through Rancher's proxy with the management credential. */
export function connectionTo(
  management: FleetManagement,
  cluster: FleetCluster,
): ClusterConnection {
  return {
    context: cluster.id,
    namespace: management.namespace,
    api: management.reach(cluster.id),
  };
}

/**
 * `serve(cluster)`, or when it has not finished within `timeoutMs`: one failed target for the
 * whole cluster, its run aborted so that no further namespace is started there.
 */
async function serveWithin(
  cluster: FleetCluster,
  connection: ClusterConnection,
  timeoutMs: number,
  context: ApplyContext,
  serve: ServeCluster,
): Promise<TargetResult[]> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<TargetResult[]>((resolve) => {
    timer = setTimeout(() => {
      deadline.abort();
      const seconds = Math.round(timeoutMs / 100) / 10;
      resolve([
        failed(
          cluster.id,
          new SinkWriteError(
            'k8s',
            cluster.id,
            `did not finish within ${seconds} s (the cluster timeout); its namespaces are not reported`,
            { retryable: true },
          ),
          context,
          cluster.id,
        ),
      ]);
    }, timeoutMs);
  });
  const signal = AbortSignal.any([context.signal, deadline.signal]);
  try {
    return await Promise.race([serve(connection, { ...context, signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The cluster's own failure (not a namespace's: those are named `<id>/<namespace>`) with the
 * cluster's id and display name in its message, so that a fleet's report names which cluster.
 */
function namedFailures(cluster: FleetCluster, results: TargetResult[]): TargetResult[] {
  return results.map((result) => {
    if (result.target !== cluster.id || result.error === undefined) return result;
    const what = `Rancher cluster ${describeFleetCluster(cluster)}`;
    return { ...result, error: prefixed(cluster.id, what, result.error) };
  });
}

// The error, its message led by what failed; as retryable as it was.
function prefixed(target: string, what: string, error: EcrRefreshError): SinkWriteError {
  return new SinkWriteError('k8s', target, `${what}: ${error.message}`, {
    cause: error,
    retryable: error.retryable,
  });
}

// A failed target; `cluster` is absent when the failure concerns no one cluster (the fleet's list).
function failed(
  target: string,
  error: TargetResult['error'],
  context: ApplyContext,
  cluster?: string,
): TargetResult {
  return {
    sink: 'k8s',
    target,
    ...(cluster === undefined ? {} : { cluster }),
    action: 'failed',
    error,
    ...(context.dryRun ? { dryRun: true } : {}),
  };
}
