import { KubernetesApiError } from './errors.ts';
import type { KubeApi } from './kube-api.ts';
import { PAGE_SIZE, pagesOf } from './list-pages.ts';

/**
 * The namespace label by which a namespace opts out: `ecr-refresh/exclude: "true"` takes it out of
 * every selection (names, globs, `*`, label selectors), so nothing is written there; what is
 * already there is left as it is (ecr-refresh never deletes). Any other value does not opt out.
 */
export const EXCLUDE_LABEL = 'ecr-refresh/exclude';

/** The label requirement every namespace list and watch carries: no opt-out label set to `true`. */
const NOT_OPTED_OUT = `${EXCLUDE_LABEL}!=true`;

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
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
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
 * The label selector of the namespace list and watch: the user's selector, if any, and
 * {@link NOT_OPTED_OUT}, so the server leaves opted-out namespaces out of both (a watch then
 * reports a namespace that loses the label as ADDED).
 */
export function namespaceListSelector(selection: NamespaceSelection): string {
  return [selection.namespaceSelector, NOT_OPTED_OUT]
    .filter((part) => part !== undefined)
    .join(',');
}

/** The namespaces of one cluster a run serves, and the named ones it leaves alone. */
export interface ResolvedNamespaces {
  /** The namespaces to serve, sorted. */
  readonly served: string[];
  /** Namespaces named (not listed) that carry the opt-out label: reported as left alone. */
  readonly optedOut: string[];
  /** Named namespaces whose read failed (not for RBAC): each is a failed target, nothing is written there. */
  readonly unread: ReadonlyArray<{ readonly namespace: string; readonly error: unknown }>;
  /** Why the labels of named namespaces could not be read (RBAC from before the opt-out): they are served. */
  readonly labelsUnread?: KubernetesApiError | undefined;
}

/**
 * The namespaces to serve in one cluster, sorted, exclusions and opted-out namespaces
 * ({@link EXCLUDE_LABEL}) removed. Globs and selectors are matched against the list (read page by
 * page, keeping names only, opted-out namespaces left out by the server), from which
 * `Terminating` namespaces (which refuse new objects) drop. Plain names need no list: each is read
 * (`get namespaces`, which a namespaced Role grants for its own namespace) for its label only; a
 * missing one is kept (it fails when written, with the server's answer), a read refused with
 * 403 serves the names as given and says why in `labelsUnread`, and a read that fails otherwise
 * (a rejected token, a server away) leaves that namespace `unread`: it might have opted out.
 */
export async function resolveNamespaces(
  api: Pick<KubeApi, 'listPage' | 'readNamespace'>,
  selection: NamespaceSelection,
  contextNamespace: string,
): Promise<ResolvedNamespaces> {
  if (!needsNamespaceList(selection))
    return readNamedNamespaces(api, namedNamespaces(selection, contextNamespace));
  const patterns = patternsOf(selection, contextNamespace);
  const names = new Set<string>();
  const query = {
    path: '/api/v1/namespaces',
    labelSelector: namespaceListSelector(selection),
    limit: PAGE_SIZE.namespaces,
  };
  for await (const page of pagesOf(api, query)) {
    for (const namespace of page) {
      const name = namespace.metadata?.name;
      const phase = (namespace.status as { phase?: unknown } | undefined)?.phase;
      if (
        typeof name === 'string' &&
        phase !== 'Terminating' &&
        patterns.some((pattern) => matchesGlob(name, pattern))
      )
        names.add(name);
    }
  }
  return {
    served: [...names].filter((name) => !isExcluded(selection, name)).sort(),
    optedOut: [],
    unread: [],
  };
}

/**
 * The namespaces a selection of plain names gives, sorted, exclusions removed, without any API
 * call (opted-out ones included: their labels are the server's). Only for a selection that does
 * not {@link needsNamespaceList}.
 */
export function namedNamespaces(selection: NamespaceSelection, contextNamespace: string): string[] {
  return [...new Set(patternsOf(selection, contextNamespace))]
    .filter((name) => !isExcluded(selection, name))
    .sort();
}

async function readNamedNamespaces(
  api: Pick<KubeApi, 'readNamespace'>,
  names: readonly string[],
): Promise<ResolvedNamespaces> {
  const reads = await Promise.all(names.map((name) => readLabels(api, name)));
  const refused = reads.find((read) => read.refused !== undefined)?.refused;
  const read = reads.filter((each) => each.failure === undefined);
  return {
    served: read.filter((each) => !isOptedOut(each.labels)).map((each) => each.name),
    optedOut: read.filter((each) => isOptedOut(each.labels)).map((each) => each.name),
    unread: reads.flatMap((each) =>
      each.failure === undefined ? [] : [{ namespace: each.name, error: each.failure }],
    ),
    ...(refused === undefined ? {} : { labelsUnread: refused }),
  };
}

interface LabelRead {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** RBAC refused the read: the namespace is served as named. */
  readonly refused?: KubernetesApiError;
  /** The read failed otherwise. */
  readonly failure?: unknown;
}

async function readLabels(api: Pick<KubeApi, 'readNamespace'>, name: string): Promise<LabelRead> {
  try {
    return { name, labels: (await api.readNamespace(name))?.labels };
  } catch (error) {
    return error instanceof KubernetesApiError && error.status === 403
      ? { name, refused: error }
      : { name, failure: error };
  }
}

/** Whether a namespace with these labels opted out ({@link EXCLUDE_LABEL} is `true`). */
function isOptedOut(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[EXCLUDE_LABEL] === 'true';
}

/**
 * Whether the namespace `name` is one `selection` serves, as far as its name tells (a label
 * selector is the server's to apply): it matches a name or glob and no exclusion.
 */
export function selectsNamespace(
  selection: NamespaceSelection,
  contextNamespace: string,
  name: string,
): boolean {
  return (
    patternsOf(selection, contextNamespace).some((pattern) => matchesGlob(name, pattern)) &&
    !isExcluded(selection, name)
  );
}

function patternsOf(selection: NamespaceSelection, contextNamespace: string): readonly string[] {
  return selection.namespaces.length > 0
    ? selection.namespaces
    : selection.namespaceSelector === undefined
      ? [contextNamespace]
      : ['*'];
}

function isExcluded(selection: NamespaceSelection, name: string): boolean {
  return selection.excludeNamespaces.some((pattern) => matchesGlob(name, pattern));
}
