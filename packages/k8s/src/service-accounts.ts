import { SinkWriteError } from '@ecr-refresh/core';
import { ServiceAccountMissingError } from './errors.ts';
import type { JsonPatchOperation, KubeApi, KubeServiceAccount } from './kube-api.ts';
import { retryConflicts } from './retry-conflicts.ts';

/** The ServiceAccounts of one namespace that must reference the pull Secret. */
export interface ServiceAccountTarget {
  readonly namespace: string;
  /** Names, or `['*']` for every ServiceAccount of the namespace. */
  readonly names: readonly string[];
  readonly secretName: string;
  /** The sink writing it (`k8s`), as its errors name it. */
  readonly sink: string;
  /** `<context>/<namespace>`, for errors. */
  readonly target: string;
}

/**
 * Adds the Secret to `imagePullSecrets` of each ServiceAccount that lacks it and returns the
 * names of those changed (or, in a dry run, that would be). The list is atomic in the API, so a
 * merge patch would replace it: instead each ServiceAccount is read and patched with a JSON
 * patch that only appends, guarded by a `test` of the read `resourceVersion`; a lost race (409,
 * 422) is retried from a fresh read. Nothing is ever removed. A named ServiceAccount that does not
 * exist throws {@link ServiceAccountMissingError}.
 *
 * `listed`, when given, holds the namespace's ServiceAccounts as a cluster-wide list found them
 * (those of `names`, or all for `*`): they are used instead of a first read. A named one the list
 * did not have is read before it is called missing (it may have been created since).
 */
export async function addPullSecret(
  api: KubeApi,
  target: ServiceAccountTarget,
  options: {
    dryRun: boolean;
    signal?: AbortSignal;
    listed?: ReadonlyMap<string, KubeServiceAccount> | undefined;
  },
): Promise<string[]> {
  const changed: string[] = [];
  if (target.names.includes('*')) {
    // Every ServiceAccount comes from the list, and a lost race re-reads the list: this mode
    // needs `list` and `patch` only, never `get`.
    const reread = async (name: string) =>
      (await api.listServiceAccounts(target.namespace)).find(
        (account) => account.metadata?.name === name,
      );
    const accounts =
      options.listed === undefined
        ? await api.listServiceAccounts(target.namespace)
        : [...options.listed.values()];
    for (const account of accounts) {
      const name = account.metadata?.name;
      if (
        typeof name === 'string' &&
        (await ensureReferenced(api, target, name, account, reread, options))
      )
        changed.push(name);
    }
    return changed;
  }
  const read = (name: string) => api.readServiceAccount(target.namespace, name);
  for (const name of target.names) {
    const first = options.listed?.get(name) ?? (await read(name));
    if (await ensureReferenced(api, target, name, first, read, options)) changed.push(name);
  }
  return changed;
}

async function ensureReferenced(
  api: KubeApi,
  target: ServiceAccountTarget,
  name: string,
  first: KubeServiceAccount | undefined,
  reread: (name: string) => Promise<KubeServiceAccount | undefined>,
  options: { dryRun: boolean; signal?: AbortSignal },
): Promise<boolean> {
  let attempt = 0;
  return retryConflicts(
    [409, 422],
    async () => {
      attempt += 1;
      const account = attempt === 1 ? first : await reread(name);
      if (account === undefined) {
        throw new ServiceAccountMissingError(
          target.sink,
          target.target,
          `ServiceAccount ${target.namespace}/${name} does not exist, so it cannot reference Secret ${target.secretName}`,
        );
      }
      const entries = pullSecretsOf(account, target);
      if (entries.some((entry) => entry.name === target.secretName)) return false;
      if (!options.dryRun)
        await api.patchServiceAccount(target.namespace, name, appendOperations(account, target));
      return true;
    },
    options.signal,
  );
}

function pullSecretsOf(
  account: KubeServiceAccount,
  target: ServiceAccountTarget,
): Array<{ name?: string | undefined }> {
  const entries = account.imagePullSecrets ?? [];
  if (
    !Array.isArray(entries) ||
    entries.some((entry) => typeof entry !== 'object' || entry === null)
  ) {
    throw new SinkWriteError(
      target.sink,
      target.target,
      `ServiceAccount ${target.namespace}/${account.metadata?.name ?? ''}: imagePullSecrets is not a list of references`,
    );
  }
  return entries;
}

function appendOperations(
  account: KubeServiceAccount,
  target: ServiceAccountTarget,
): JsonPatchOperation[] {
  const resourceVersion = account.metadata?.resourceVersion;
  if (typeof resourceVersion !== 'string' || resourceVersion === '') {
    throw new SinkWriteError(
      target.sink,
      target.target,
      `ServiceAccount ${target.namespace}/${account.metadata?.name ?? ''} came without metadata.resourceVersion`,
    );
  }
  const reference = { name: target.secretName };
  return [
    // Applied only if nobody changed the ServiceAccount since it was read.
    { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
    account.imagePullSecrets === undefined
      ? { op: 'add', path: '/imagePullSecrets', value: [reference] }
      : { op: 'add', path: '/imagePullSecrets/-', value: reference },
  ];
}
