import { toEcrRefreshError, type ApplyContext } from '@ecr-refresh/core';
import { KubernetesApiError } from './errors.ts';
import type {
  KubeApi,
  KubeListQuery,
  KubeObject,
  KubeSecret,
  KubeServiceAccount,
} from './kube-api.ts';
import { PAGE_SIZE, pagesOf } from './list-pages.ts';
import { needsNamespaceList } from './namespace-selection.ts';
import { NAMESPACE_PLACEHOLDER, type KubernetesSinkOptions } from './options.ts';
import { secretMetadataOf } from './secret-metadata.ts';
import { unchangedOutcome, type ListedSecret } from './write-secret.ts';

/**
 * What one run found in place in one cluster, handed out once per namespace and forgotten then.
 * Undefined from a `take` means nothing was listed for that namespace: it is read on its own.
 */
export interface InPlace {
  /** The namespace's Secret as the Secret list found it (or its unchanged outcome). */
  takeSecret(namespace: string): ListedSecret | undefined;
  /** The namespace's ServiceAccounts (those named, or all for `*`) as the lists found them, by name. */
  takeServiceAccounts(namespace: string): ReadonlyMap<string, KubeServiceAccount> | undefined;
}

/** The run a read serves: its context (freshness, logger) and the cluster's kubeconfig context. */
interface Run {
  readonly context: ApplyContext;
  readonly cluster: string;
}

const NOTHING_LISTED: InPlace = {
  takeSecret: () => undefined,
  takeServiceAccounts: () => undefined,
};

/**
 * Reads what is in place in the served `namespaces` with a few cluster-wide lists instead of one
 * read per namespace, so that a run with nothing to write costs a few requests whatever the number
 * of namespaces: the Secrets with the field selector `metadata.name=<secret name>` and the
 * ServiceAccounts with `metadata.name=<name>` (one list per name), which RBAC authorises by
 * `resourceNames`, or every ServiceAccount for `*` (a grant `list serviceaccounts` the `*` mode
 * has anyway). Lists are read page by page; of each page only what the served namespaces need is
 * kept: a fresh Secret becomes its unchanged outcome, one to write stays whole (its data is merged
 * into the write), a ServiceAccount keeps its name, `resourceVersion` and `imagePullSecrets`.
 *
 * Only when the namespaces were themselves found by listing (a glob, `*`, a label selector):
 * plain names need no cluster-wide permission, so they are read namespace by namespace, as is a
 * Secret named per namespace (`{namespace}`: no single field selector names them all, and a label
 * selector would need `list` on every Secret). A list that fails (403 where the RBAC in use does
 * not grant it, or any other failure) is logged once and that kind is read namespace by namespace
 * for the rest of the run; nothing of a failed list is used.
 */
export async function readInPlace(
  api: Pick<KubeApi, 'listPage'>,
  namespaces: readonly string[],
  options: KubernetesSinkOptions,
  run: Run,
): Promise<InPlace> {
  if (!needsNamespaceList(options) || namespaces.length === 0) return NOTHING_LISTED;
  const served = new Set(namespaces);
  const [secrets, accounts] = await Promise.all([
    listSecrets(api, served, options, run),
    listServiceAccounts(api, served, options, run),
  ]);
  return {
    takeSecret: taker(secrets, namespaces, () => ({ secret: undefined })),
    takeServiceAccounts: taker(accounts, namespaces, () => new Map()),
  };
}

/** Hands out what `found` holds of each of `namespaces` once (`absent()` when it had nothing there), then forgets it. */
function taker<T>(
  found: Map<string, T> | undefined,
  namespaces: readonly string[],
  absent: () => T,
): (namespace: string) => T | undefined {
  if (found === undefined) return () => undefined;
  const pending = new Set(namespaces);
  return (namespace) => {
    if (!pending.delete(namespace)) return undefined;
    const value = found.get(namespace) ?? absent();
    found.delete(namespace);
    return value;
  };
}

function listSecrets(
  api: Pick<KubeApi, 'listPage'>,
  served: ReadonlySet<string>,
  options: KubernetesSinkOptions,
  run: Run,
) {
  if (options.secretName.includes(NAMESPACE_PLACEHOLDER)) return undefined;
  const name = options.secretName;
  const query = {
    path: '/api/v1/secrets',
    fieldSelector: `metadata.name=${name}`,
    limit: PAGE_SIZE.secrets,
  };
  return collect<ListedSecret>(api, [query], run, 'Secrets', (item, found) => {
    const namespace = item.metadata?.namespace;
    if (typeof namespace !== 'string' || !served.has(namespace) || item.metadata?.name !== name)
      return;
    const secret = item as KubeSecret;
    try {
      const target = {
        namespace,
        name,
        sink: 'k8s',
        target: `${run.cluster}/${namespace}`,
        metadata: secretMetadataOf(options),
      };
      const unchanged = unchangedOutcome(secret, target, run.context, options.adopt);
      found.set(namespace, unchanged === undefined ? { secret } : { unchanged });
    } catch {
      // Not ours to write: writeSecret throws the same error when its namespace's turn comes.
      found.set(namespace, { secret });
    }
  });
}

function listServiceAccounts(
  api: Pick<KubeApi, 'listPage'>,
  served: ReadonlySet<string>,
  options: KubernetesSinkOptions,
  run: Run,
) {
  if (options.serviceAccounts.length === 0) return undefined;
  const path = '/api/v1/serviceaccounts';
  const queries = options.serviceAccounts.includes('*')
    ? [{ path, limit: PAGE_SIZE.serviceAccounts }]
    : options.serviceAccounts.map((name) => ({
        path,
        fieldSelector: `metadata.name=${name}`,
        limit: PAGE_SIZE.serviceAccounts,
      }));
  return collect<Map<string, KubeServiceAccount>>(
    api,
    queries,
    run,
    'ServiceAccounts',
    (item, found) => {
      const { namespace, name, resourceVersion } = item.metadata ?? {};
      if (typeof namespace !== 'string' || typeof name !== 'string' || !served.has(namespace))
        return;
      const { imagePullSecrets } = item as KubeServiceAccount;
      const account: KubeServiceAccount = {
        metadata: { name, namespace, resourceVersion },
        ...(imagePullSecrets === undefined ? {} : { imagePullSecrets }),
      };
      const accounts = found.get(namespace) ?? new Map<string, KubeServiceAccount>();
      accounts.set(name, account);
      found.set(namespace, accounts);
    },
  );
}

/** Every page of `queries` through `keep`; undefined, logged once, when any request fails. */
async function collect<T>(
  api: Pick<KubeApi, 'listPage'>,
  queries: readonly KubeListQuery[],
  run: Run,
  what: string,
  keep: (item: KubeObject, found: Map<string, T>) => void,
): Promise<Map<string, T> | undefined> {
  const found = new Map<string, T>();
  let current: KubeListQuery | undefined;
  try {
    for (current of queries) {
      for await (const page of pagesOf(api, current)) for (const item of page) keep(item, found);
    }
    return found;
  } catch (error) {
    const forbidden = error instanceof KubernetesApiError && error.status === 403;
    const fields = {
      sink: 'k8s',
      context: run.cluster,
      path: current?.path,
      fieldSelector: current?.fieldSelector,
      error: toEcrRefreshError(error, `cannot list ${what}`).message,
    };
    const message = `${forbidden ? 'not allowed to list' : 'cannot list'} ${what} across namespaces: reading them namespace by namespace in this run`;
    if (forbidden) run.context.logger.info(fields, message);
    else run.context.logger.warn(fields, message);
    return undefined;
  }
}
