import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderOptions,
  type KubeConfig,
  type SecurityAuthentication,
  type V1Secret,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { KubernetesApiError } from './errors.ts';
import { toKubernetesApiError } from './to-kubernetes-api-error.ts';
import { pooledAuthentication } from './pooled-authentication.ts';
import { createRequestHttpLibrary, type RequestPolicy } from './request-http-library.ts';
import { watchCallsOver } from './watch-http.ts';
import type {
  CustomResourceKind,
  JsonPatchOperation,
  KubeApi,
  KubeCustomObject,
  KubeListQuery,
  KubeNamespace,
  KubeObject,
  KubeSecret,
  KubeServiceAccount,
  KubeWatchCalls,
} from './kube-api.ts';

/** The CoreV1Api methods the sink calls; tests hand in a stub of exactly these. */
export type CoreV1Calls = Pick<
  CoreV1Api,
  | 'listNamespace'
  | 'listSecretForAllNamespaces'
  | 'listNamespacedSecret'
  | 'listServiceAccountForAllNamespaces'
  | 'readNamespacedSecret'
  | 'createNamespacedSecret'
  | 'replaceNamespacedSecret'
  | 'readNamespacedServiceAccount'
  | 'listNamespacedServiceAccount'
  | 'patchNamespacedServiceAccount'
>;

/** The CustomObjectsApi methods the sink calls (Rancher's Projects and Settings). */
export type CustomObjectsCalls = Pick<
  CustomObjectsApi,
  'getNamespacedCustomObject' | 'getClusterCustomObject' | 'listNamespacedCustomObject' | 'listClusterCustomObject'
>;

// Named in managedFields, so `kubectl get -o yaml` shows who wrote what.
const FIELD_MANAGER = 'ecr-refresh';

// Collections are listed in pages: a cluster with thousands of objects answers in bounded chunks.
const LIST_PAGE = 500;

/**
 * The {@link KubeApi} of one kubeconfig context, on `@kubernetes/client-node`. `target` names the
 * context in errors. Every failure becomes a {@link KubernetesApiError} with method, path, status
 * and Status reason; the client's own error is dropped because its message embeds the headers.
 */
export function createClientNodeApi(kubeConfig: KubeConfig, target: string, policy: RequestPolicy): KubeApi {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error(`kubeconfig context ${kubeConfig.getCurrentContext()} has no cluster`);
  const server = cluster.server.replace(/\/+$/, '');
  // One authentication (and so one connection pool) for the calls and the watches alike.
  const authentication = pooledAuthentication(kubeConfig);
  const configuration = configurationFor(server, authentication, policy);
  return {
    ...kubeApiOver(new CoreV1Api(configuration), target),
    ...customObjectCallsOver(new CustomObjectsApi(configuration), target),
    ...watchCallsOver(server, authentication, target),
  };
}

type CustomObjectCalls = Pick<KubeApi, 'readCustomObject' | 'listCustomObjects'>;

/** {@link createClientNodeApi}'s core calls over any implementation of CoreV1Api (a stub in tests). */
export function kubeApiOver(core: CoreV1Calls, target: string): Omit<KubeApi, keyof KubeWatchCalls | keyof CustomObjectCalls> {
  const { call, orUndefinedOn404 } = callsReporting(target);
  const secretPath = (namespace: string, name = '') => `/api/v1/namespaces/${namespace}/secrets${name === '' ? '' : `/${name}`}`;
  const accountPath = (namespace: string, name = '') => `/api/v1/namespaces/${namespace}/serviceaccounts${name === '' ? '' : `/${name}`}`;

  return {
    async listPage(query, continueToken) {
      const page = await call('GET', query.path, () => listCall(core, query, continueToken));
      return { items: (page.items ?? []) as KubeObject[], continue: page.metadata?._continue || undefined };
    },
    async listNamespaces(labelSelector) {
      const namespaces: KubeNamespace[] = [];
      let next: string | undefined;
      do {
        const page = await call('GET', '/api/v1/namespaces', () =>
          core.listNamespace({ limit: LIST_PAGE, ...(labelSelector === undefined ? {} : { labelSelector }), ...(next === undefined ? {} : { _continue: next }) }),
        );
        for (const item of page.items ?? []) {
          const name = item.metadata?.name;
          if (typeof name !== 'string' || name === '') continue;
          namespaces.push({ name, labels: item.metadata?.labels ?? {}, phase: item.status?.phase });
        }
        next = page.metadata?._continue || undefined;
      } while (next !== undefined);
      return namespaces;
    },
    readSecret: (namespace, name) =>
      orUndefinedOn404('GET', secretPath(namespace, name), async () => (await core.readNamespacedSecret({ namespace, name })) as KubeSecret),
    createSecret: (namespace, secret) =>
      call('POST', secretPath(namespace), async () => (await core.createNamespacedSecret({ namespace, body: secret as V1Secret, fieldManager: FIELD_MANAGER })) as KubeSecret),
    replaceSecret: (namespace, name, secret) =>
      call('PUT', secretPath(namespace, name), async () => (await core.replaceNamespacedSecret({ namespace, name, body: secret as V1Secret, fieldManager: FIELD_MANAGER })) as KubeSecret),
    readServiceAccount: (namespace, name) =>
      orUndefinedOn404('GET', accountPath(namespace, name), async () => (await core.readNamespacedServiceAccount({ namespace, name })) as KubeServiceAccount),
    listServiceAccounts: (namespace) =>
      call('GET', accountPath(namespace), async () => ((await core.listNamespacedServiceAccount({ namespace })).items ?? []) as KubeServiceAccount[]),
    patchServiceAccount: (namespace, name, operations: readonly JsonPatchOperation[]) =>
      call('PATCH', accountPath(namespace, name), async () => {
        // The generated client would send the first media type it knows; say which patch this is.
        const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
        return (await core.patchNamespacedServiceAccount({ namespace, name, body: operations, fieldManager: FIELD_MANAGER }, options)) as V1ServiceAccount as KubeServiceAccount;
      }),
  };
}

/** The generated client's list call for `query.path`: one page of it. */
function listCall(core: CoreV1Calls, query: KubeListQuery, continueToken: string | undefined) {
  const page = {
    limit: query.limit,
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
    ...(query.fieldSelector === undefined ? {} : { fieldSelector: query.fieldSelector }),
    ...(continueToken === undefined ? {} : { _continue: continueToken }),
  };
  const [, namespace, plural] = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(namespaces|secrets|serviceaccounts)$/.exec(query.path) ?? [];
  if (namespace === undefined) {
    if (plural === 'namespaces') return core.listNamespace(page);
    if (plural === 'secrets') return core.listSecretForAllNamespaces(page);
    if (plural === 'serviceaccounts') return core.listServiceAccountForAllNamespaces(page);
  } else {
    if (plural === 'secrets') return core.listNamespacedSecret({ ...page, namespace });
    if (plural === 'serviceaccounts') return core.listNamespacedServiceAccount({ ...page, namespace });
  }
  throw new Error(`listPage does not list ${query.path}`);
}

/** {@link createClientNodeApi}'s custom-object calls over any implementation of CustomObjectsApi (a stub in tests). */
export function customObjectCallsOver(custom: CustomObjectsCalls, target: string): CustomObjectCalls {
  const { call, orUndefinedOn404 } = callsReporting(target);
  const kindPath = ({ group, version, plural, namespace }: CustomResourceKind) =>
    `/apis/${group}/${version}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}`;
  const listPage = (kind: CustomResourceKind, next: string | undefined) => {
    const page = { group: kind.group, version: kind.version, plural: kind.plural, limit: LIST_PAGE, ...(next === undefined ? {} : { _continue: next }) };
    return kind.namespace === undefined ? custom.listClusterCustomObject(page) : custom.listNamespacedCustomObject({ ...page, namespace: kind.namespace });
  };
  return {
    readCustomObject: (kind, name) =>
      orUndefinedOn404('GET', `${kindPath(kind)}/${name}`, async () => {
        const { group, version, plural, namespace } = kind;
        const found = namespace === undefined
          ? await custom.getClusterCustomObject({ group, version, plural, name })
          : await custom.getNamespacedCustomObject({ group, version, plural, namespace, name });
        return found as KubeCustomObject;
      }),
    async listCustomObjects(kind) {
      const objects: KubeCustomObject[] = [];
      let next: string | undefined;
      do {
        const page = (await call('GET', kindPath(kind), () => listPage(kind, next))) as { items?: KubeCustomObject[]; metadata?: { continue?: string } };
        objects.push(...(page.items ?? []));
        next = page.metadata?.continue || undefined;
      } while (next !== undefined);
      return objects;
    },
  };
}

/** Runs a call, turning its failure into a {@link KubernetesApiError} that names `target`. */
function callsReporting(target: string) {
  const call = async <T>(method: string, path: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toKubernetesApiError(error, method, path, target);
    }
  };
  const orUndefinedOn404 = async <T>(method: string, path: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call(method, path, run);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) return undefined;
      throw error;
    }
  };
  return { call, orUndefinedOn404 };
}

/** The API configuration for `server`: one kept connection pool and undici's request(), with the timeout and retries of `policy`. */
function configurationFor(server: string, authentication: SecurityAuthentication, policy: RequestPolicy) {
  return createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: authentication },
    httpApi: createRequestHttpLibrary(policy),
  });
}
