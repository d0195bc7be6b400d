import type { WatchOptions } from '@ecr-refresh/core';
import type { KubeWatchEvent } from '../kube-api.ts';
import { watchCluster } from '../kubernetes-watch.ts';
import type { KubernetesSinkOptions } from '../options.ts';
import {
  watchCollection,
  watchSettingsOf,
  type CollectionWatchOptions,
} from '../watch-collection.ts';
import { connectionTo, type FleetManagement } from './fleet.ts';
import {
  describeFleetCluster,
  fleetChoiceOf,
  lookUpFleet,
  type FleetCluster,
  type FleetSelection,
} from './fleet-clusters.ts';
import { CLUSTERS } from './rancher-objects.ts';

/** The collection of Rancher's Cluster objects, as a watch asks for it. */
const CLUSTERS_PATH = `/apis/${CLUSTERS.group}/${CLUSTERS.version}/${CLUSTERS.plural}`;

/**
 * The Kubernetes sink's `watch` for a Rancher fleet: watches Rancher's Cluster objects on the
 * management connection (with the `rancherClusterSelector`, resumed as every watch is) and keeps
 * the set of clusters served, chosen by the rules of the one-shot run ({@link fleetChoiceOf}).
 * Each served cluster gets the watches of one cluster (namespaces, our Secret, the chosen
 * ServiceAccounts: {@link watchCluster}) through Rancher's proxy, under an AbortController of its
 * own. A cluster that becomes served (a new Cluster, or one becoming ready) is reported at once
 * (`<id>: cluster added`, `<id>: became ready`), so the service serves it within seconds; one that
 * is removed, deleted, stops being ready or stops matching has its watches closed and its state
 * dropped. A change that leaves a cluster's choice as it was (Rancher updates the status of its
 * Clusters often) does nothing. State is kept per cluster, never per namespace. The clusters
 * present when the watch starts, or when it starts over, are read with one list (the first
 * refresh serves them; after a restart, the ones new to the watch are reported). Resolves once
 * `watch.signal` aborts and every cluster's watches stopped.
 */
export async function watchFleet(
  management: FleetManagement,
  options: KubernetesSinkOptions,
  watch: WatchOptions,
  backoff?: CollectionWatchOptions['backoff'],
): Promise<void> {
  const selection: FleetSelection = {
    clusters: options.rancherClusters,
    selector: options.rancherClusterSelector,
  };
  const served = new Map<string, AbortController>();
  // The watches of each cluster until they stop: forgotten then, so nothing grows with time.
  const running = new Set<Promise<void>>();
  const logger = watch.logger.child({ context: management.context });

  function serve(cluster: FleetCluster, reason: string | undefined): void {
    const controller = new AbortController();
    served.set(cluster.id, controller);
    const signal = AbortSignal.any([watch.signal, controller.signal]);
    const watching = watchCluster(
      connectionTo(management, cluster),
      options,
      { ...watch, signal },
      backoff,
    );
    running.add(watching);
    void watching.finally(() => running.delete(watching));
    logger.debug(
      { cluster: cluster.id },
      `Rancher cluster ${describeFleetCluster(cluster)}: watching its namespaces and Secrets`,
    );
    if (reason !== undefined) watch.onChange(`${cluster.id}: ${reason}`);
  }

  function drop(id: string, why: string): void {
    served.get(id)?.abort();
    served.delete(id);
    logger.info({ cluster: id }, `Rancher cluster ${id} no longer watched: ${why}`);
  }

  // The clusters served now, by one list: the first time (the first refresh serves them) and
  // whenever the watch starts over (events may have been missed: new ones are reported).
  let first = true;
  const onListed = async (): Promise<void> => {
    const lookup = await lookUpFleet(management.api, selection);
    const ready = new Map(lookup.served.map((cluster) => [cluster.id, cluster]));
    for (const id of [...served.keys()])
      if (!ready.has(id)) drop(id, 'not chosen or not ready any more');
    for (const cluster of ready.values())
      if (!served.has(cluster.id)) serve(cluster, first ? undefined : 'cluster added');
    first = false;
  };

  const onEvent = (event: KubeWatchEvent): void => {
    const id = event.object.metadata?.name;
    if (id === undefined) return;
    const choice = event.type === 'DELETED' ? undefined : fleetChoiceOf(event.object, selection);
    const ready = choice !== undefined && choice.notReady === undefined;
    if (ready && !served.has(id))
      serve(choice.cluster, event.type === 'ADDED' ? 'cluster added' : 'became ready');
    else if (!ready && served.has(id)) drop(id, whyNotServed(event, choice?.notReady));
  };

  await watchCollection(
    management.api,
    { path: CLUSTERS_PATH, labelSelector: selection.selector },
    { ...watchSettingsOf(management.context, watch, backoff), onEvent, onListed },
  );
  await Promise.all(running);
}

function whyNotServed(event: KubeWatchEvent, notReady: string | undefined): string {
  if (event.type === 'DELETED') return 'removed (or no longer matches the selector)';
  if (event.object.metadata?.deletionTimestamp !== undefined) return 'being deleted';
  return notReady ?? 'no longer chosen';
}
