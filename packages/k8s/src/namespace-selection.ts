import type { KubeApi } from './kube-api.ts';

/** Which namespaces to serve, as validated options give them. */
export interface NamespaceSelection {
  /** Names and globs (`*`, `?`); empty: the context's own namespace, unless a selector is given. */
  readonly namespaces: readonly string[];
  readonly namespaceSelector?: string | undefined;
  readonly excludeNamespaces: readonly string[];
}

/** Whether `pattern` has a wildcard, so it can only be resolved by listing namespaces. */
export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** Whether the namespace `name` matches the glob `pattern` (`*`: any run, `?`: one character). */
export function matchesGlob(name: string, pattern: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(name);
}

/**
 * Whether resolving `selection` needs `list namespaces`: a glob or a label selector does; plain
 * names do not (so a single-namespace install needs no cluster-wide permission).
 */
export function needsNamespaceList(selection: NamespaceSelection): boolean {
  return selection.namespaceSelector !== undefined || selection.namespaces.some(isGlob);
}

/**
 * The namespaces to serve in one cluster, sorted, exclusions removed. Plain names are taken as
 * given (a missing one fails when written, with the server's answer); globs and selectors are
 * matched against the list, from which `Terminating` namespaces (which refuse new objects) drop.
 */
export async function resolveNamespaces(api: KubeApi, selection: NamespaceSelection, contextNamespace: string): Promise<string[]> {
  const patterns = patternsOf(selection, contextNamespace);
  let names: string[];
  if (needsNamespaceList(selection)) {
    const listed = await api.listNamespaces(selection.namespaceSelector);
    names = listed
      .filter((namespace) => namespace.phase !== 'Terminating')
      .map((namespace) => namespace.name)
      .filter((name) => patterns.some((pattern) => matchesGlob(name, pattern)));
  } else {
    names = [...patterns];
  }
  return [...new Set(names)].filter((name) => !isExcluded(selection, name)).sort();
}

/**
 * Whether the namespace `name` is one `selection` serves, as far as its name tells (a label
 * selector is the server's to apply): it matches a name or glob and no exclusion.
 */
export function selectsNamespace(selection: NamespaceSelection, contextNamespace: string, name: string): boolean {
  return patternsOf(selection, contextNamespace).some((pattern) => matchesGlob(name, pattern)) && !isExcluded(selection, name);
}

function patternsOf(selection: NamespaceSelection, contextNamespace: string): readonly string[] {
  return selection.namespaces.length > 0 ? selection.namespaces : selection.namespaceSelector === undefined ? [contextNamespace] : ['*'];
}

function isExcluded(selection: NamespaceSelection, name: string): boolean {
  return selection.excludeNamespaces.some((pattern) => matchesGlob(name, pattern));
}
