import type { WatchOptions } from '@ecr-refresh/core';
import type { KubeSecret, KubeServiceAccount, KubeWatchEvent, KubeWatchQuery } from './kube-api.ts';
import type { ClusterConnection } from './kube-config.ts';
import {
  namedNamespaces,
  namespaceListSelector,
  needsNamespaceList,
  selectsNamespace,
} from './namespace-selection.ts';
import { NAMESPACE_PLACEHOLDER, secretNameIn, type KubernetesSinkOptions } from './options.ts';
import { holdsValidRecord, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './secret-record.ts';
import {
  watchCollection,
  watchSettingsOf,
  type CollectionWatchOptions,
} from './watch-collection.ts';

/** The label selector of the Secrets ecr-refresh manages. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/** Whether a namespace is one the options serve, as far as its name tells. */
type Served = (namespace: string | undefined) => namespace is string;

/**
 * The Kubernetes sink's `watch`: per cluster, calls `onChange` when a namespace it serves appears
 * (an ADDED event of the namespaces, filtered by the label selector and the opt-out label on the
 * server, so a namespace that loses `ecr-refresh/exclude=true` is ADDED too, and by names, globs
 * and exclusions here), when one of its Secrets is deleted or altered (a MODIFIED event whose
 * record no longer validates: our own writes always do, so they trigger nothing), and when a
 * chosen ServiceAccount is created or changed without a reference to the Secret (our own patch
 * adds it, so it triggers nothing). ServiceAccounts are watched by name where they are named
 * (`metadata.name=…`, which RBAC checks against resourceNames), every one only for `*`. A
 * selection of plain names watches only those namespaces' objects and no namespace, so it needs
 * no cluster-wide permission. Resolves once `signal` aborts.
 */
export async function watchClusters(
  clusters: readonly ClusterConnection[],
  options: KubernetesSinkOptions,
  watch: WatchOptions,
  backoff?: CollectionWatchOptions['backoff'],
): Promise<void> {
  await Promise.all(clusters.map((cluster) => watchCluster(cluster, options, watch, backoff)));
}

/**
 * The watches of one cluster (see {@link watchClusters}): its namespaces, our Secrets and the
 * chosen ServiceAccounts, reported as `<context>/<namespace>: …`, until `watch.signal` aborts.
 */
export async function watchCluster(
  cluster: ClusterConnection,
  options: KubernetesSinkOptions,
  watch: WatchOptions,
  backoff: CollectionWatchOptions['backoff'],
): Promise<void> {
  const { context, api } = cluster;
  const served: Served = (namespace): namespace is string =>
    namespace !== undefined && selectsNamespace(options, cluster.namespace, namespace);
  const common = watchSettingsOf(context, watch, backoff);
  const reporting =
    (change: (event: KubeWatchEvent) => string | undefined) =>
    (event: KubeWatchEvent): void => {
      const reason = change(event);
      if (reason !== undefined) watch.onChange(`${context}/${reason}`);
    };
  const onSecretEvent = reporting((event) => secretChange(event, options, served));
  const onServiceAccountEvent = reporting((event) => serviceAccountChange(event, options, served));
  const watching = (queries: readonly KubeWatchQuery[], onEvent: (event: KubeWatchEvent) => void) =>
    queries.map((query) => watchCollection(api, query, { ...common, onEvent }));
  // Plain names: no API call resolves them, and each namespace's objects are watched on their own
  // (opted-out namespaces too: their label is read by each run, which leaves them alone).
  const namespaces = needsNamespaceList(options)
    ? undefined
    : namedNamespaces(options, cluster.namespace);
  const onNamespaceEvent = (event: KubeWatchEvent): void => {
    const name = event.object.metadata?.name;
    const phase = (event.object.status as { phase?: unknown } | undefined)?.phase;
    if (event.type === 'ADDED' && phase !== 'Terminating' && served(name))
      watch.onChange(`${context}/${name}: namespace added`);
  };
  await Promise.all([
    ...watching(
      namespaces === undefined
        ? [{ path: '/api/v1/namespaces', labelSelector: namespaceListSelector(options) }]
        : [],
      onNamespaceEvent,
    ),
    ...watching(secretQueries(options, namespaces), onSecretEvent),
    ...watching(serviceAccountQueries(options, namespaces), onServiceAccountEvent),
  ]);
}

/**
 * The watches of our Secrets: by name whenever the name is known, so RBAC can limit list and
 * watch to it (resourceNames); only a `{namespace}` name across listed namespaces is watched by
 * label alone. `namespaces`: the plain names served, or undefined when they are listed.
 */
function secretQueries(
  options: KubernetesSinkOptions,
  namespaces: readonly string[] | undefined,
): KubeWatchQuery[] {
  const named = (namespace: string) => ({
    labelSelector: MANAGED_SELECTOR,
    fieldSelector: `metadata.name=${secretNameIn(options, namespace)}`,
  });
  if (namespaces !== undefined)
    return namespaces.map((namespace) => ({
      path: `/api/v1/namespaces/${namespace}/secrets`,
      ...named(namespace),
    }));
  return [
    {
      path: '/api/v1/secrets',
      ...(options.secretName.includes(NAMESPACE_PLACEHOLDER)
        ? { labelSelector: MANAGED_SELECTOR }
        : named('')),
    },
  ];
}

/**
 * The watches of the chosen ServiceAccounts: one per name (`metadata.name=<name>`, as RBAC can
 * limit to resourceNames), or the whole collection for `*`; per namespace for plain names, across
 * namespaces when they are listed. None when no ServiceAccount is chosen.
 */
function serviceAccountQueries(
  options: KubernetesSinkOptions,
  namespaces: readonly string[] | undefined,
): KubeWatchQuery[] {
  const paths =
    namespaces === undefined
      ? ['/api/v1/serviceaccounts']
      : namespaces.map((namespace) => `/api/v1/namespaces/${namespace}/serviceaccounts`);
  if (options.serviceAccounts.includes('*')) return paths.map((path) => ({ path }));
  return paths.flatMap((path) =>
    options.serviceAccounts.map((name) => ({ path, fieldSelector: `metadata.name=${name}` })),
  );
}

/** Why a Secret event calls for a refresh (`<namespace>: Secret <name> deleted`), or undefined when it does not. */
function secretChange(
  event: KubeWatchEvent,
  options: KubernetesSinkOptions,
  served: Served,
): string | undefined {
  const { name, namespace } = event.object.metadata ?? {};
  if (!served(namespace) || name !== secretNameIn(options, namespace)) return undefined;
  if (event.type === 'DELETED') return `${namespace}: Secret ${name} deleted`;
  if (event.type === 'MODIFIED' && !holdsValidRecord(event.object as KubeSecret))
    return `${namespace}: Secret ${name} altered`;
  return undefined;
}

/**
 * Why a ServiceAccount event calls for a refresh (`<namespace>: ServiceAccount <name> lacks Secret
 * <secret>`): one of the chosen ServiceAccounts, created or changed, without a reference to the
 * namespace's Secret. Undefined otherwise, and for a deletion (nothing to write then).
 */
function serviceAccountChange(
  event: KubeWatchEvent,
  options: KubernetesSinkOptions,
  served: Served,
): string | undefined {
  const { name, namespace } = event.object.metadata ?? {};
  if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return undefined;
  if (
    !served(namespace) ||
    typeof name !== 'string' ||
    !(options.serviceAccounts.includes('*') || options.serviceAccounts.includes(name))
  )
    return undefined;
  const secretName = secretNameIn(options, namespace);
  const references = (event.object as KubeServiceAccount).imagePullSecrets;
  if (Array.isArray(references) && references.some((reference) => reference?.name === secretName))
    return undefined;
  return `${namespace}: ServiceAccount ${name} lacks Secret ${secretName}`;
}
