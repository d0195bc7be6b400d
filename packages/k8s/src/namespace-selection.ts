import type { KubeApi } from './kube-api.ts';
import { PAGE_SIZE, pagesOf } from './list-pages.ts';

/** Which namespaces to serve, as validated options give them. */
export interface NamespaceSelection {
  /** Names and globs (`*`, `?`); empty: the context's own namespace, unless a selector is given. */
  readonly namespaces: readonly string[];
  readonly namespaceSelector?: string | undefined;
  readonly excludeNamespaces: readonly string[];
}

/** Whether `pattern` has a wildcard, so it can only be resolved by listing namespaces. */
function isGlob(pattern: string): boolean {
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
 * matched against the list (read page by page, keeping names only), from which `Terminating`
 * namespaces (which refuse new objects) drop.
 */
export async function resolveNamespaces(api: Pick<KubeApi, 'listPage'>, selection: NamespaceSelection, contextNamespace: string): Promise<string[]> {
  const patterns = patternsOf(selection, contextNamespace);
  const names = new Set<string>();
  if (needsNamespaceList(selection)) {
    const query = { path: '/api/v1/namespaces', labelSelector: selection.namespaceSelector, limit: PAGE_SIZE.namespaces };
    for await (const page of pagesOf(api, query)) {
      for (const namespace of page) {
        const name = namespace.metadata?.name;
        const phase = (namespace.status as { phase?: unknown } | undefined)?.phase;
        if (typeof name === 'string' && phase !== 'Terminating' && patterns.some((pattern) => matchesGlob(name, pattern))) names.add(name);
      }
    }
  } else {
    for (const name of patterns) names.add(name);
  }
  return [...names].filter((name) => !isExcluded(selection, name)).sort();
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
