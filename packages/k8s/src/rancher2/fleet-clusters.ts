import { quoteInput } from '@ecr-refresh/core';
import type { KubeApi, KubeCustomObject } from '../kube-api.ts';
import { DNS_LABEL } from '../options.ts';
import { CLUSTER_READY_CONDITION, CLUSTERS, LOCAL_CLUSTER_ID } from './rancher-objects.ts';

/** Which of Rancher's clusters to serve: `all` (but `local`), ids or display names, and/or a label selector. */
export interface FleetSelection {
  /** `all` for every cluster but `local`; or ids and display names (`local` served only when named). */
  readonly clusters?: 'all' | readonly string[] | undefined;
  /** Only clusters whose Cluster object has these labels (`env=prod`); alone, it means `all` of them. */
  readonly selector?: string | undefined;
}

/** One downstream cluster of Rancher, as its Cluster object on the management cluster describes it. */
export interface FleetCluster {
  /** The cluster id (`c-m-xxxxxxxx`): its path under Rancher's proxy, `/k8s/clusters/<id>`. */
  readonly id: string;
  /** `spec.displayName`, the name the Rancher UI shows; the id when it has none. */
  readonly displayName: string;
}

/** A chosen cluster that is not served this run, and why (its `Ready` condition). */
export interface SkippedCluster {
  readonly cluster: FleetCluster;
  readonly reason: string;
}

/** A cluster named in the selection that matches no cluster, or several, and why. */
export interface FleetProblem {
  /** How the selection named it: the failed target's name. */
  readonly selection: string;
  readonly message: string;
}

/** The clusters to serve, the chosen ones that are not ready, and the names that match none. */
export interface FleetLookup {
  readonly served: FleetCluster[];
  readonly notReady: SkippedCluster[];
  readonly problems: FleetProblem[];
}

// Names shown when a selection matches no cluster: enough to spot a typo, not a flood.
const NAMES_SHOWN = 20;

/**
 * Lists Rancher's clusters (`clusters.management.cattle.io`, one paged list, filtered by the
 * selector on the server) and picks the ones `selection` chooses ({@link fleetChoiceOf}), each
 * once, sorted by id. A name must match exactly one cluster: by id first, else by display name;
 * a name that matches none, or the display name of several, is a problem and chooses nothing.
 * API failures are thrown as they come.
 */
export async function lookUpFleet(
  management: KubeApi,
  selection: FleetSelection,
): Promise<FleetLookup> {
  const objects = await management.listCustomObjects(CLUSTERS, selection.selector);
  const live = objects.filter(isLive);
  const problems: FleetProblem[] = [];
  const resolved = new Set<string>();
  for (const name of namesOf(selection)) {
    const found = matchesOf(live, name);
    const [only] = found;
    if (found.length === 1 && only !== undefined) resolved.add(only.metadata?.name as string);
    else problems.push({ selection: name, message: problemOf(name, found, live, selection) });
  }
  const served: FleetCluster[] = [];
  const notReady: SkippedCluster[] = [];
  for (const object of [...live].sort(byName)) {
    const choice = fleetChoiceOf(object, selection);
    if (choice === undefined || (namesOf(selection).length > 0 && !resolved.has(choice.cluster.id)))
      continue;
    if (choice.notReady === undefined) served.push(choice.cluster);
    else notReady.push({ cluster: choice.cluster, reason: choice.notReady });
  }
  return { served, notReady, problems };
}

/** A Cluster object `selection` chooses: the cluster, and why it is not served now when it is not ready. */
export interface FleetChoice {
  readonly cluster: FleetCluster;
  /** Why the cluster is not served now (its `Ready` condition); undefined when it is ready. */
  readonly notReady?: string | undefined;
}

/**
 * The one rule deciding whether a Cluster object is served, shared by the one-shot run and the
 * service's watch of the cluster list: undefined when the selection does not choose it (being
 * deleted, `local` under `all`, or neither its id nor its display name named; the label selector
 * is applied by the server), else the cluster and, when its `Ready` condition is not `True`, why
 * it is not served now. A display name shared by several clusters is the caller's to refuse.
 */
export function fleetChoiceOf(
  object: KubeCustomObject,
  selection: FleetSelection,
): FleetChoice | undefined {
  if (!isLive(object)) return undefined;
  const cluster = fleetClusterOf(object);
  const chosen =
    selection.clusters === undefined || selection.clusters === 'all'
      ? cluster.id !== LOCAL_CLUSTER_ID
      : selection.clusters.includes(cluster.id) ||
        selection.clusters.includes(displayNameOf(object) ?? cluster.id);
  return chosen ? { cluster, notReady: notReadyReason(object) } : undefined;
}

/** A cluster's id and display name, as results and errors show it: `c-m-1 ("Prod EU")`. */
export function describeFleetCluster({
  id,
  displayName,
}: {
  readonly id: string;
  readonly displayName?: string | undefined;
}): string {
  return displayName === undefined || displayName === id
    ? id
    : `${id} (${quoteInput(displayName)})`;
}

// A Cluster being deleted is never served; one without a name cannot be reached.
function isLive(object: KubeCustomObject): boolean {
  return (
    object.metadata?.deletionTimestamp === undefined && typeof object.metadata?.name === 'string'
  );
}

function namesOf(selection: FleetSelection): readonly string[] {
  return selection.clusters === undefined || selection.clusters === 'all' ? [] : selection.clusters;
}

function matchesOf(live: readonly KubeCustomObject[], name: string): KubeCustomObject[] {
  const byId = live.filter((object) => object.metadata?.name === name);
  return byId.length > 0 ? byId : live.filter((object) => displayNameOf(object) === name);
}

function problemOf(
  name: string,
  found: readonly KubeCustomObject[],
  live: readonly KubeCustomObject[],
  selection: FleetSelection,
): string {
  if (found.length > 1)
    return `${quoteInput(name)}: the display name of several clusters (${found.map((object) => object.metadata?.name).join(', ')}); name one by id`;
  const among = selection.selector === undefined ? '' : ` labelled ${selection.selector}`;
  const known = live
    .slice(0, NAMES_SHOWN)
    .map((object) => describeFleetCluster(fleetClusterOf(object)));
  const more = live.length > NAMES_SHOWN ? `, and ${live.length - NAMES_SHOWN} more` : '';
  const shown = known.length === 0 ? 'none' : `${known.join(', ')}${more}`;
  const hint = DNS_LABEL.test(name) ? '' : ' (ids are like c-m-1a2b3c4d)';
  return `${quoteInput(name)}: no cluster${among} has this id or display name${hint} (known: ${shown})`;
}

function fleetClusterOf(object: KubeCustomObject): FleetCluster {
  const id = object.metadata?.name as string;
  return { id, displayName: displayNameOf(object) ?? id };
}

function displayNameOf(object: KubeCustomObject): string | undefined {
  const name = object.spec?.displayName;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

interface Condition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
}

// Rancher sets Ready to True once its agent connects and the API answers (ClusterConditionReady).
function notReadyReason(object: KubeCustomObject): string | undefined {
  const conditions = object.status?.conditions;
  const ready = Array.isArray(conditions)
    ? (conditions as Condition[]).find((condition) => condition?.type === CLUSTER_READY_CONDITION)
    : undefined;
  if (ready === undefined) return `not ready: it has no ${CLUSTER_READY_CONDITION} condition yet`;
  if (ready.status === 'True') return undefined;
  const why = [ready.reason, ready.message].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return `not ready: ${CLUSTER_READY_CONDITION}=${String(ready.status)}${why.length === 0 ? '' : ` (${why.join(': ')})`}`;
}

function byName(left: KubeCustomObject, right: KubeCustomObject): number {
  return String(left.metadata?.name).localeCompare(String(right.metadata?.name));
}
