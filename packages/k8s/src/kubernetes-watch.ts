import type { WatchOptions } from '@ecr-refresh/core';
import type { KubeSecret, KubeWatchEvent } from './kube-api.ts';
import type { ClusterConnection } from './kube-config.ts';
import { needsNamespaceList, resolveNamespaces, selectsNamespace } from './namespace-selection.ts';
import { NAMESPACE_PLACEHOLDER, secretNameIn, type KubernetesSinkOptions } from './options.ts';
import { holdsValidRecord, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './secret-record.ts';
import { watchCollection, watchSettingsOf, type CollectionWatchOptions } from './watch-collection.ts';

/** The label selector of the Secrets ecr-refresh manages. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/**
 * The Kubernetes sink's `watch`: per cluster, calls `onChange` when a namespace it serves appears
 * (an ADDED event of the namespaces, filtered by the label selector on the server and by names,
 * globs and exclusions here), and when one of its Secrets is deleted or altered (a MODIFIED event
 * whose record no longer validates: our own writes always do, so they trigger nothing). A
 * selection of plain names watches only those namespaces' Secrets and no namespace, so it needs
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

async function watchCluster(cluster: ClusterConnection, options: KubernetesSinkOptions, watch: WatchOptions, backoff: CollectionWatchOptions['backoff']): Promise<void> {
  const { context, api } = cluster;
  const served = (namespace: string | undefined): namespace is string => namespace !== undefined && selectsNamespace(options, cluster.namespace, namespace);
  const common = watchSettingsOf(context, watch, backoff);
  // Secrets are asked for by name whenever the name is known, so RBAC can limit list and watch to
  // it (resourceNames); only a `{namespace}` name across listed namespaces is watched by label alone.
  const secretsNamed = (namespace: string) => ({ labelSelector: MANAGED_SELECTOR, fieldSelector: `metadata.name=${secretNameIn(options, namespace)}` });
  const onSecretEvent = (event: KubeWatchEvent): void => {
    const reason = secretChange(event, options, served);
    if (reason !== undefined) watch.onChange(`${context}/${reason}`);
  };
  if (!needsNamespaceList(options)) {
    // Plain names: no API call resolves them, and each namespace's Secrets are watched on their own.
    const namespaces = await resolveNamespaces(api, options, cluster.namespace);
    await Promise.all(namespaces.map((namespace) => watchCollection(api, { path: `/api/v1/namespaces/${namespace}/secrets`, ...secretsNamed(namespace) }, { ...common, onEvent: onSecretEvent })));
    return;
  }
  const onNamespaceEvent = (event: KubeWatchEvent): void => {
    const name = event.object.metadata?.name;
    const phase = (event.object.status as { phase?: unknown } | undefined)?.phase;
    if (event.type === 'ADDED' && phase !== 'Terminating' && served(name)) watch.onChange(`${context}/${name}: namespace added`);
  };
  await Promise.all([
    watchCollection(api, { path: '/api/v1/namespaces', labelSelector: options.namespaceSelector }, { ...common, onEvent: onNamespaceEvent }),
    watchCollection(api, { path: '/api/v1/secrets', ...(options.secretName.includes(NAMESPACE_PLACEHOLDER) ? { labelSelector: MANAGED_SELECTOR } : secretsNamed('')) }, { ...common, onEvent: onSecretEvent }),
  ]);
}

/** Why a Secret event calls for a refresh (`<namespace>: Secret <name> deleted`), or undefined when it does not. */
function secretChange(event: KubeWatchEvent, options: KubernetesSinkOptions, served: (namespace: string | undefined) => namespace is string): string | undefined {
  const { name, namespace } = event.object.metadata ?? {};
  if (!served(namespace) || name !== secretNameIn(options, namespace)) return undefined;
  if (event.type === 'DELETED') return `${namespace}: Secret ${name} deleted`;
  if (event.type === 'MODIFIED' && !holdsValidRecord(event.object as KubeSecret)) return `${namespace}: Secret ${name} altered`;
  return undefined;
}
