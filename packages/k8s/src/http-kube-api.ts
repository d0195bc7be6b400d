import { KubernetesApiError } from './errors.ts';
import type {
  CustomResourceKind,
  KubeApi,
  KubeEvent,
  KubeCustomObject,
  KubeListQuery,
  KubeNamespace,
  KubeSecret,
  KubeServiceAccount,
} from './kube-api.ts';
import { pagesOf } from './list-pages.ts';
import type { KubeHttpClient } from './transport/http-client.ts';
import { LIST_PAGE_SIZE, readListPage } from './transport/paged-list.ts';
import { watchCallsOver } from './transport/watch-stream.ts';

// Named in managedFields, so `kubectl get -o yaml` shows who wrote what.
const WRITE = { query: { fieldManager: 'ecr-refresh' } } as const;

const secrets = (namespace: string) => `/api/v1/namespaces/${namespace}/secrets`;
const serviceAccounts = (namespace: string) => `/api/v1/namespaces/${namespace}/serviceaccounts`;
const events = (namespace: string) => `/apis/events.k8s.io/v1/namespaces/${namespace}/events`;
const customObjects = ({ group, version, plural, namespace }: CustomResourceKind) =>
  `/apis/${group}/${version}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}`;

/**
 * The {@link KubeApi} of one cluster: each call one request (or one paged list) of `http`, which
 * turns every failure into a {@link KubernetesApiError}. A call that reads one object answers
 * undefined when it does not exist (404).
 */
export function createHttpKubeApi(http: KubeHttpClient): KubeApi {
  const get = <T>(path: string) => http.request('GET', path) as Promise<T>;
  const listPage: KubeApi['listPage'] = ({ path, limit, labelSelector, fieldSelector }, next) =>
    readListPage(http, path, { limit, labelSelector, fieldSelector }, next);
  // Every item of a collection, all pages read: for the calls that need the whole list.
  const listAll = async <T>(
    path: string,
    query: Omit<KubeListQuery, 'path' | 'limit'> = {},
  ): Promise<T[]> => {
    const items: T[] = [];
    for await (const page of pagesOf({ listPage }, { path, limit: LIST_PAGE_SIZE, ...query }))
      items.push(...(page as T[]));
    return items;
  };
  return {
    listPage,
    listNamespaces: async (labelSelector) =>
      (await listAll<NamespaceObject>('/api/v1/namespaces', { labelSelector })).flatMap(
        namespaceOf,
      ),
    readNamespace: async (name) => {
      const found = await orUndefinedOn404(get<NamespaceObject>(`/api/v1/namespaces/${name}`));
      return found === undefined ? undefined : namespaceOf(found)[0];
    },
    readSecret: (namespace, name) =>
      orUndefinedOn404(get<KubeSecret>(`${secrets(namespace)}/${name}`)),
    createSecret: (namespace, secret) =>
      http.request('POST', secrets(namespace), { ...WRITE, body: secret }) as Promise<KubeSecret>,
    replaceSecret: (namespace, name, secret) =>
      http.request('PUT', `${secrets(namespace)}/${name}`, {
        ...WRITE,
        body: secret,
      }) as Promise<KubeSecret>,
    readServiceAccount: (namespace, name) =>
      orUndefinedOn404(get<KubeServiceAccount>(`${serviceAccounts(namespace)}/${name}`)),
    listServiceAccounts: (namespace) => listAll<KubeServiceAccount>(serviceAccounts(namespace)),
    patchServiceAccount: (namespace, name, operations) =>
      http.request('PATCH', `${serviceAccounts(namespace)}/${name}`, {
        ...WRITE,
        body: operations,
        contentType: 'application/json-patch+json',
      }) as Promise<KubeServiceAccount>,
    createEvent: async (event: KubeEvent) => {
      await http.request('POST', events(event.metadata.namespace), {
        ...WRITE,
        body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...event },
      });
    },
    patchEventSeries: async (namespace, name, series) => {
      await http.request('PATCH', `${events(namespace)}/${name}`, {
        ...WRITE,
        body: { series },
        contentType: 'application/merge-patch+json',
      });
    },
    readCustomObject: (kind, name) =>
      orUndefinedOn404(get<KubeCustomObject>(`${customObjects(kind)}/${name}`)),
    listCustomObjects: (kind, labelSelector) =>
      listAll<KubeCustomObject>(customObjects(kind), { labelSelector }),
    ...watchCallsOver(http),
  };
}

/** A namespace as a list or a read answers it, reduced to what is read. */
interface NamespaceObject {
  metadata?: { name?: unknown; labels?: Record<string, string> };
  status?: { phase?: string };
}

function namespaceOf(item: NamespaceObject): KubeNamespace[] {
  const name = item.metadata?.name;
  if (typeof name !== 'string' || name === '') return [];
  return [{ name, labels: item.metadata?.labels ?? {}, phase: item.status?.phase }];
}

async function orUndefinedOn404<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof KubernetesApiError && error.status === 404) return undefined;
    throw error;
  }
}
