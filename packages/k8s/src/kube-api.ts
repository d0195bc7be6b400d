/**
 * The few Kubernetes API calls the sink makes, behind a narrow interface so the sink is tested
 * against an in-memory fake and runs over our own transport on node:https (see
 * `http-kube-api.ts` and `transport/`). Objects are the API's JSON shapes, reduced to the fields we read or
 * write; every failure is thrown as a `KubernetesApiError` carrying status and reason.
 */

/** Object metadata, as far as the sink reads or writes it. */
export interface KubeObjectMeta {
  name?: string | undefined;
  namespace?: string | undefined;
  resourceVersion?: string | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  [key: string]: unknown;
}

/** A core/v1 Secret. */
export interface KubeSecret {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata?: KubeObjectMeta | undefined;
  type?: string | undefined;
  data?: Record<string, string> | undefined;
  [key: string]: unknown;
}

/** A reference to an object, as an Event's `regarding` names it. */
export interface KubeObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Absent for a cluster-scoped object (a Namespace). */
  readonly namespace?: string | undefined;
  /** Present when the object was read: Events are matched to the object by it (`involvedObject.uid`). */
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

/** The reference to a Secret as the API server answered it (name, namespace, uid, version). */
export function objectReferenceOf(secret: KubeSecret): KubeObjectReference {
  const { name = '', namespace, uid, resourceVersion } = secret.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    name,
    namespace,
    ...(typeof uid === 'string' ? { uid } : {}),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  };
}

/**
 * An events.k8s.io/v1 Event, as the sink writes it: `eventTime` and `series.lastObservedTime` are
 * MicroTime strings (RFC 3339 with six fractional digits).
 */
export interface KubeEvent {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata: { name: string; namespace: string };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding: KubeObjectReference;
  note: string;
  type: 'Normal' | 'Warning';
  series?: KubeEventSeries | undefined;
}

/** How often an Event recurred (at least 2), and when it last did. */
export interface KubeEventSeries {
  count: number;
  lastObservedTime: string;
}

/** A core/v1 ServiceAccount. */
export interface KubeServiceAccount {
  metadata?: KubeObjectMeta | undefined;
  imagePullSecrets?: Array<{ name?: string | undefined }> | undefined;
  [key: string]: unknown;
}

/** A namespace as listing reports it. */
export interface KubeNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `Terminating` namespaces refuse new objects; they are skipped. */
  readonly phase?: string | undefined;
}

/** A kind of custom resource: its API group, version and plural; `namespace` for a namespaced one. */
export interface CustomResourceKind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string | undefined;
}

/** A custom object (a Rancher Project or Setting, say), reduced to what is read of it. */
export interface KubeCustomObject {
  metadata?: KubeObjectMeta | undefined;
  spec?: Record<string, unknown> | undefined;
  status?: Record<string, unknown> | undefined;
  [key: string]: unknown;
}

/** One RFC 6902 JSON patch operation. */
export type JsonPatchOperation =
  | { op: 'test' | 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A collection to watch (or list: {@link KubeListQuery}): its API path and optional selectors. */
export interface KubeWatchQuery {
  /**
   * `/api/v1/namespaces`; `/api/v1/secrets` or `/api/v1/serviceaccounts` (every namespace);
   * `/api/v1/namespaces/<ns>/secrets` or `/api/v1/namespaces/<ns>/serviceaccounts`.
   */
  readonly path: string;
  readonly labelSelector?: string | undefined;
  /** `metadata.name=<name>`: RBAC then checks `list`/`watch` against `resourceNames`. */
  readonly fieldSelector?: string | undefined;
}

/**
 * One page of a collection to list: a {@link KubeWatchQuery} and the most objects one answer may
 * hold. The paths a list serves: `/api/v1/namespaces`, `/api/v1/secrets` and
 * `/api/v1/serviceaccounts` (every namespace), `/api/v1/namespaces/<ns>/secrets` and
 * `/api/v1/namespaces/<ns>/serviceaccounts`.
 */
export interface KubeListQuery extends KubeWatchQuery {
  /** The server's `limit`: at most this many objects per page (it may send fewer, and a `continue`). */
  readonly limit: number;
}

/** An object as a list or a watch event carries it (an ERROR event carries a Status). */
export interface KubeObject {
  metadata?: KubeObjectMeta | undefined;
  [key: string]: unknown;
}

/** One answer of {@link KubeApi.listPage}. */
export interface KubeListPage {
  /** The page's objects, in the shape the other calls answer (a Secret as `readSecret` gives it). */
  readonly items: KubeObject[];
  /** The token of the next page; undefined on the last page (the server's empty `continue`). */
  readonly continue?: string | undefined;
}

/** One event of a watch stream. */
export interface KubeWatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

/** The calls a watch is made of; see `watch-collection.ts` for the reconnecting loop. */
export interface KubeWatchCalls {
  /** The `resourceVersion` of the collection now (`list` with `limit=1`): where a watch starts. */
  listResourceVersion(query: KubeWatchQuery, signal: AbortSignal): Promise<string>;
  /**
   * The changes after `resourceVersion` (`?watch=1`, bookmarks allowed), until the server ends
   * the stream or `signal` aborts. A version too old to resume from is refused with status 410
   * (as an HTTP answer or an ERROR event, whichever the server chooses).
   */
  watch(
    query: KubeWatchQuery,
    resourceVersion: string,
    signal: AbortSignal,
  ): AsyncIterable<KubeWatchEvent>;
}

/** The Kubernetes API calls of one cluster (one kubeconfig context). */
export interface KubeApi extends KubeWatchCalls {
  /**
   * One page of a collection, one request: `GET <path>?limit=<limit>` with `continue=<token>` when
   * a token is given, and the query's `labelSelector` and `fieldSelector` when set; never a
   * `resourceVersion`, so the first page is a consistent read of the newest state and the pages
   * that follow its token continue that same snapshot. RBAC authorises a list with the field
   * selector `metadata.name=<name>` by `list` on `resourceNames: [<name>]`; any other list needs
   * `list` on the whole collection. Failures are thrown as `KubernetesApiError` like every call's
   * (429, 5xx and broken connections retried first): 403 when RBAC refuses the list, 410 Expired
   * when a `continue` token is too old to resume. Nothing is kept between calls.
   */
  listPage(query: KubeListQuery, continueToken?: string): Promise<KubeListPage>;
  /** Every namespace, or those matching a label selector (`list namespaces`). */
  listNamespaces(labelSelector?: string): Promise<KubeNamespace[]>;
  /**
   * The namespace, or undefined when it does not exist (404): `get namespaces`, which RBAC
   * authorises for a namespaced Role in that same namespace too (the request's namespace is its name).
   */
  readNamespace(name: string): Promise<KubeNamespace | undefined>;
  /** The Secret, or undefined when it does not exist (404). */
  readSecret(namespace: string, name: string): Promise<KubeSecret | undefined>;
  /** POST; 409 AlreadyExists when a Secret of that name appeared meanwhile. */
  createSecret(namespace: string, secret: KubeSecret): Promise<KubeSecret>;
  /** PUT with the `resourceVersion` in `secret.metadata`; 409 Conflict when it is stale. */
  replaceSecret(namespace: string, name: string, secret: KubeSecret): Promise<KubeSecret>;
  /** The ServiceAccount, or undefined when it does not exist (404). */
  readServiceAccount(namespace: string, name: string): Promise<KubeServiceAccount | undefined>;
  /** Every ServiceAccount of the namespace. */
  listServiceAccounts(namespace: string): Promise<KubeServiceAccount[]>;
  /** PATCH with `application/json-patch+json`; a failed `test` operation is refused (409/422). */
  patchServiceAccount(
    namespace: string,
    name: string,
    operations: readonly JsonPatchOperation[],
  ): Promise<KubeServiceAccount>;
  /** POST an events.k8s.io/v1 Event in its namespace. */
  createEvent(event: KubeEvent): Promise<void>;
  /** Merge-patches an Event's `series`; 404 when it expired (Events live an hour by default). */
  patchEventSeries(namespace: string, name: string, series: KubeEventSeries): Promise<void>;
  /** The custom object, or undefined when it, or its kind, does not exist (404). */
  readCustomObject(kind: CustomResourceKind, name: string): Promise<KubeCustomObject | undefined>;
  /** Every custom object of the kind (in its namespace, when namespaced), all pages. */
  listCustomObjects(kind: CustomResourceKind, labelSelector?: string): Promise<KubeCustomObject[]>;
}
