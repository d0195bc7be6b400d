import { KubernetesApiError } from '../errors.ts';
import type {
  CustomResourceKind,
  JsonPatchOperation,
  KubeApi,
  KubeCustomObject,
  KubeEvent,
  KubeEventSeries,
  KubeListPage,
  KubeListQuery,
  KubeNamespace,
  KubeObject,
  KubeSecret,
  KubeServiceAccount,
  KubeWatchEvent,
  KubeWatchQuery,
} from '../kube-api.ts';

interface Change {
  readonly version: number;
  /** `namespace`, `secret`, `serviceaccount`, or a custom object's `<group>/<plural>`. */
  readonly kind: string;
  readonly event: KubeWatchEvent;
  /** The object's labels before a MODIFIED change, for label-selected watches. */
  readonly labelsBefore?: Record<string, string> | undefined;
}

/**
 * An in-memory API server for one cluster with the semantics the sink relies on: resourceVersion
 * bumped on every write, 409 AlreadyExists on create, 409 Conflict on a stale replace, JSON patch
 * with `test` (422 when it fails), 404 for missing objects and namespaces, lists in pages of at
 * most `limit` with a `continue` token and `metadata.name=` field selectors. `beforeWrite` lets a
 * test act between the sink's read and its write (a racing writer). Watches replay the changes
 * of namespaces, Secrets, ServiceAccounts and custom objects after a resourceVersion (an object that starts or
 * stops matching a label-selected watch is ADDED or DELETED there, as on a real server); a test can drop them, make them fail to
 * connect, or forget the history (410 Gone), as a real API server does.
 */
export class FakeKubeApi implements KubeApi {
  readonly namespaces = new Map<string, KubeNamespace>();
  readonly secrets = new Map<string, KubeSecret>();
  readonly serviceAccounts = new Map<string, KubeServiceAccount>();
  /** Events by `<namespace>/<name>`, as written (the series merged in). */
  readonly events = new Map<string, KubeEvent>();
  /** Custom objects by `<group>/<plural>/<namespace or "">/<name>`; see {@link putCustomObject}. */
  readonly customObjects = new Map<string, KubeCustomObject>();
  readonly requests: string[] = [];
  /** Runs before each write is applied; may change the store to simulate a concurrent writer. */
  beforeWrite: ((kind: 'create' | 'replace' | 'patch', key: string) => void) | undefined;
  /** Requests (as recorded in {@link requests}) starting with one of these are refused with 403, as RBAC would. */
  forbidden: string[] = [];
  /** Makes the next matching request fail with this status. */
  failNext: { verb: string; status: number; reason: string } | undefined;
  /** Connection attempts (list or watch) that fail with no answer before one succeeds. */
  failConnections = 0;
  /** Watch streams open now: 0 once every watch of this API was closed. */
  openWatches = 0;
  /** How a forgotten resourceVersion is refused: an HTTP 410 answer, or an ERROR event in the stream. */
  goneAs: 'status' | 'event' = 'status';
  private version = 100;
  private readonly changes: Change[] = [];
  private forgottenBefore = 0;
  private readonly wakers = new Set<() => void>();
  private drops = 0;

  addNamespace(name: string, labels: Record<string, string> = {}, phase = 'Active'): void {
    this.namespaces.set(name, { name, labels, phase });
    this.emit('namespace', 'ADDED', { metadata: { name, labels }, status: { phase } });
  }

  /** Sets a namespace's labels, as `kubectl label` would. */
  labelNamespace(name: string, labels: Record<string, string>): void {
    const found = this.namespaces.get(name);
    if (found === undefined) throw new Error(`no namespace ${name}`);
    this.namespaces.set(name, { ...found, labels });
    this.emit(
      'namespace',
      'MODIFIED',
      { metadata: { name, labels }, status: { phase: found.phase } },
      found.labels,
    );
  }

  async readNamespace(name: string): Promise<KubeNamespace | undefined> {
    this.record('get', `namespaces/${name}`);
    const found = this.namespaces.get(name);
    return found === undefined ? undefined : structuredClone(found);
  }

  /** Deletes a Secret, as someone with kubectl would. */
  deleteSecret(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const found = this.secrets.get(key);
    if (found === undefined) return;
    this.secrets.delete(key);
    this.emit('secret', 'DELETED', {
      ...found,
      metadata: { ...found.metadata, resourceVersion: this.nextVersion() },
    });
  }

  /** Ends every open watch stream, as an API server going away does. */
  dropWatches(): void {
    this.drops += 1;
    this.wake();
  }

  /** Forgets every change so far: a watch from an older resourceVersion is refused with 410 Gone. */
  forgetHistory(): void {
    this.forgottenBefore = Number(this.nextVersion());
  }

  /** Recorded as `list <path>[?labelSelector=…][&fieldSelector=…]`, as {@link listPage} is. */
  async listResourceVersion(query: KubeWatchQuery): Promise<string> {
    this.connect('list', shown(query));
    return String(this.version);
  }

  /** Recorded as `watch <path>[?labelSelector=…][&fieldSelector=…]`. */
  async *watch(
    query: KubeWatchQuery,
    resourceVersion: string,
    signal: AbortSignal,
  ): AsyncIterable<KubeWatchEvent> {
    this.connect('watch', shown(query));
    let seen = Number(resourceVersion);
    if (seen < this.forgottenBefore) {
      if (this.goneAs === 'status') throw this.error('GET', query.path, 410, 'Expired');
      yield {
        type: 'ERROR',
        object: {
          kind: 'Status',
          code: 410,
          reason: 'Expired',
          message: 'too old resource version',
        },
      };
      return;
    }
    const drops = this.drops;
    this.openWatches += 1;
    try {
      while (!signal.aborted && this.drops === drops) {
        const next = this.changes.filter(
          (change) => change.version > seen && matches(change, query),
        );
        for (const change of next) {
          seen = change.version;
          const event = seenAs(change, query.labelSelector);
          if (event !== undefined) yield structuredClone(event);
        }
        if (next.length === 0) await this.changed(signal);
      }
    } finally {
      this.openWatches -= 1;
    }
  }

  /** Creates a ServiceAccount, or replaces its `imagePullSecrets` (as `kubectl edit` would) when it exists. */
  addServiceAccount(namespace: string, name: string, pullSecrets?: string[]): void {
    const key = `${namespace}/${name}`;
    const existed = this.serviceAccounts.has(key);
    this.serviceAccounts.set(key, {
      metadata: { name, namespace, resourceVersion: this.nextVersion() },
      ...(pullSecrets === undefined
        ? {}
        : { imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })) }),
    });
    this.emit(
      'serviceaccount',
      existed ? 'MODIFIED' : 'ADDED',
      this.serviceAccounts.get(key) as KubeServiceAccount,
    );
  }

  putSecret(namespace: string, secret: KubeSecret): void {
    const name = secret.metadata?.name ?? '';
    const existed = this.secrets.has(`${namespace}/${name}`);
    this.secrets.set(
      `${namespace}/${name}`,
      structuredClone({
        ...secret,
        metadata: { ...secret.metadata, namespace, resourceVersion: this.nextVersion() },
      }),
    );
    this.emit(
      'secret',
      existed ? 'MODIFIED' : 'ADDED',
      this.secrets.get(`${namespace}/${name}`) as KubeSecret,
    );
  }

  /** Recorded as `list <path>[?labelSelector=…][&fieldSelector=…]`, once per page. */
  async listPage(query: KubeListQuery, continueToken?: string): Promise<KubeListPage> {
    this.record('list', shown(query));
    const [, namespace, plural] =
      /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(namespaces|secrets|serviceaccounts)$/.exec(
        query.path,
      ) ?? [];
    if (plural === undefined || (plural === 'namespaces' && namespace !== undefined))
      throw new Error(`the fake does not list ${query.path}`);
    const fieldName =
      query.fieldSelector === undefined
        ? undefined
        : /^metadata\.name=(.+)$/.exec(query.fieldSelector)?.[1];
    if (query.fieldSelector !== undefined && fieldName === undefined)
      throw new Error(`the fake does not select by ${query.fieldSelector}`);
    const all: KubeObject[] =
      plural === 'namespaces'
        ? [...this.namespaces.values()].map(({ name, labels, phase }) => ({
            metadata: { name, labels },
            status: { phase },
          }))
        : [...(plural === 'secrets' ? this.secrets : this.serviceAccounts).entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .filter(([key]) => namespace === undefined || key.startsWith(`${namespace}/`))
            .map(([key, object]) =>
              structuredClone({
                ...object,
                metadata: { ...object.metadata, namespace: key.split('/')[0] },
              }),
            );
    const matching = all.filter(
      (object) =>
        (fieldName === undefined || object.metadata?.name === fieldName) &&
        selects(query.labelSelector, object.metadata?.labels ?? {}),
    );
    const start = Number(continueToken ?? 0);
    const end = start + query.limit;
    return {
      items: matching.slice(start, end),
      continue: end < matching.length ? String(end) : undefined,
    };
  }

  async listNamespaces(labelSelector?: string): Promise<KubeNamespace[]> {
    this.record('list', 'namespaces');
    return [...this.namespaces.values()].filter((namespace) =>
      selects(labelSelector, namespace.labels),
    );
  }

  async readSecret(namespace: string, name: string): Promise<KubeSecret | undefined> {
    this.record('get', `secrets/${namespace}/${name}`);
    const found = this.secrets.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  async createSecret(namespace: string, secret: KubeSecret): Promise<KubeSecret> {
    const key = `${namespace}/${secret.metadata?.name ?? ''}`;
    this.record('create', `secrets/${key}`);
    this.beforeWrite?.('create', key);
    if (!this.namespaces.has(namespace)) throw this.error('POST', key, 404, 'NotFound');
    if (this.secrets.has(key)) throw this.error('POST', key, 409, 'AlreadyExists');
    this.secrets.set(
      key,
      structuredClone({
        ...secret,
        metadata: { ...secret.metadata, resourceVersion: this.nextVersion() },
      }),
    );
    this.emit('secret', 'ADDED', this.secrets.get(key) as KubeSecret);
    return structuredClone(this.secrets.get(key) as KubeSecret);
  }

  async replaceSecret(namespace: string, name: string, secret: KubeSecret): Promise<KubeSecret> {
    const key = `${namespace}/${name}`;
    this.record('replace', `secrets/${key}`);
    this.beforeWrite?.('replace', key);
    const current = this.secrets.get(key);
    if (current === undefined) throw this.error('PUT', key, 404, 'NotFound');
    if (
      secret.metadata?.resourceVersion !== undefined &&
      secret.metadata.resourceVersion !== current.metadata?.resourceVersion
    ) {
      throw this.error('PUT', key, 409, 'Conflict');
    }
    if (secret.type !== current.type) throw this.error('PUT', key, 422, 'Invalid');
    this.secrets.set(
      key,
      structuredClone({
        ...secret,
        metadata: { ...secret.metadata, resourceVersion: this.nextVersion() },
      }),
    );
    this.emit('secret', 'MODIFIED', this.secrets.get(key) as KubeSecret);
    return structuredClone(this.secrets.get(key) as KubeSecret);
  }

  async readServiceAccount(
    namespace: string,
    name: string,
  ): Promise<KubeServiceAccount | undefined> {
    this.record('get', `serviceaccounts/${namespace}/${name}`);
    const found = this.serviceAccounts.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  async listServiceAccounts(namespace: string): Promise<KubeServiceAccount[]> {
    this.record('list', `serviceaccounts/${namespace}`);
    return [...this.serviceAccounts.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .map(([, account]) => structuredClone(account));
  }

  async patchServiceAccount(
    namespace: string,
    name: string,
    operations: readonly JsonPatchOperation[],
  ): Promise<KubeServiceAccount> {
    const key = `${namespace}/${name}`;
    this.record('patch', `serviceaccounts/${key}`);
    this.beforeWrite?.('patch', key);
    const current = this.serviceAccounts.get(key);
    if (current === undefined) throw this.error('PATCH', key, 404, 'NotFound');
    const next = structuredClone(current);
    for (const operation of operations) {
      if (operation.op === 'test') {
        if (
          operation.path !== '/metadata/resourceVersion' ||
          operation.value !== current.metadata?.resourceVersion
        )
          throw this.error('PATCH', key, 422, 'Invalid');
      } else if (operation.op === 'add' && operation.path === '/imagePullSecrets') {
        next.imagePullSecrets = operation.value as Array<{ name: string }>;
      } else if (operation.op === 'add' && operation.path === '/imagePullSecrets/-') {
        if (next.imagePullSecrets === undefined) throw this.error('PATCH', key, 422, 'Invalid');
        next.imagePullSecrets.push(operation.value as { name: string });
      } else {
        throw new Error(`the fake does not implement ${JSON.stringify(operation)}`);
      }
    }
    next.metadata = { ...next.metadata, namespace, resourceVersion: this.nextVersion() };
    this.serviceAccounts.set(key, next);
    this.emit('serviceaccount', 'MODIFIED', next);
    return structuredClone(next);
  }

  async createEvent(event: KubeEvent): Promise<void> {
    const key = `${event.metadata.namespace}/${event.metadata.name}`;
    this.record('create', `events/${key}`);
    if (this.events.has(key)) throw this.error('POST', key, 409, 'AlreadyExists');
    this.events.set(key, structuredClone(event));
  }

  async patchEventSeries(namespace: string, name: string, series: KubeEventSeries): Promise<void> {
    const key = `${namespace}/${name}`;
    this.record('patch', `events/${key}`);
    const current = this.events.get(key);
    if (current === undefined) throw this.error('PATCH', key, 404, 'NotFound');
    if (series.count < 2) throw this.error('PATCH', key, 422, 'Invalid');
    this.events.set(key, { ...current, series: structuredClone(series) });
  }

  /** Stores a custom object (a Rancher Project, Setting or Cluster) as an admin would create or replace it. */
  putCustomObject(kind: CustomResourceKind, object: KubeCustomObject): void {
    const key = customObjectKey(kind, object.metadata?.name ?? '');
    const before = this.customObjects.get(key);
    this.customObjects.set(key, structuredClone(object));
    this.emit(
      `${kind.group}/${kind.plural}`,
      before === undefined ? 'ADDED' : 'MODIFIED',
      { ...object, metadata: { ...object.metadata, resourceVersion: undefined } },
      before?.metadata?.labels ?? (before === undefined ? undefined : {}),
    );
  }

  /** Deletes a custom object, as an admin would. */
  deleteCustomObject(kind: CustomResourceKind, name: string): void {
    const key = customObjectKey(kind, name);
    const found = this.customObjects.get(key);
    if (found === undefined) return;
    this.customObjects.delete(key);
    this.emit(`${kind.group}/${kind.plural}`, 'DELETED', {
      ...found,
      metadata: { ...found.metadata, resourceVersion: undefined },
    });
  }

  async readCustomObject(
    kind: CustomResourceKind,
    name: string,
  ): Promise<KubeCustomObject | undefined> {
    const key = customObjectKey(kind, name);
    this.record('get', key);
    const found = this.customObjects.get(key);
    return found === undefined ? undefined : structuredClone(found);
  }

  async listCustomObjects(
    kind: CustomResourceKind,
    labelSelector?: string,
  ): Promise<KubeCustomObject[]> {
    const prefix = customObjectKey(kind, '');
    this.record(
      'list',
      labelSelector === undefined ? prefix : `${prefix}?labelSelector=${labelSelector}`,
    );
    return [...this.customObjects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .filter(([, object]) => selects(labelSelector, object.metadata?.labels ?? {}))
      .map(([, object]) => structuredClone(object));
  }

  /** Requests of a verb (`get`, `create`, `replace`, `patch`, `list`). */
  count(verb: string): number {
    return this.requests.filter((request) => request.startsWith(`${verb} `)).length;
  }

  private record(verb: string, what: string): void {
    this.requests.push(`${verb} ${what}`);
    if (this.forbidden.some((prefix) => `${verb} ${what}`.startsWith(prefix)))
      throw this.error(verb.toUpperCase(), what, 403, 'Forbidden');
    if (this.failNext !== undefined && this.failNext.verb === verb) {
      const { status, reason } = this.failNext;
      this.failNext = undefined;
      throw this.error(verb.toUpperCase(), what, status, reason);
    }
  }

  private error(method: string, path: string, status: number, reason: string): KubernetesApiError {
    return new KubernetesApiError(
      'fake',
      { method, path, status, reason },
      `${method} ${path}: HTTP ${status} ${reason}`,
    );
  }

  private connect(verb: string, path: string): void {
    this.record(verb, path);
    if (this.failConnections > 0) {
      this.failConnections -= 1;
      throw new KubernetesApiError(
        'fake',
        { method: 'GET', path, errorCode: 'ECONNREFUSED' },
        `GET ${path}: no answer from the API server (ECONNREFUSED)`,
      );
    }
  }

  private emit(
    kind: Change['kind'],
    type: KubeWatchEvent['type'],
    object: KubeWatchEvent['object'],
    labelsBefore?: Record<string, string>,
  ): void {
    const version = Number(object.metadata?.resourceVersion ?? this.nextVersion());
    const event = {
      type,
      object: structuredClone({
        ...object,
        metadata: { ...object.metadata, resourceVersion: String(version) },
      }),
    };
    this.changes.push({ version, kind, event, labelsBefore });
    this.wake();
  }

  private wake(): void {
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }
}

// A query as requests are recorded: `<path>[?labelSelector=…][&fieldSelector=…]`.
function shown(query: KubeWatchQuery): string {
  const selectors = new URLSearchParams({
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
    ...(query.fieldSelector === undefined ? {} : { fieldSelector: query.fieldSelector }),
  });
  return `${query.path}${selectors.size === 0 ? '' : `?${decodeURIComponent(selectors.toString())}`}`;
}

// Whether `labels` satisfy a selector of `key=value` and `key!=value` requirements.
function selects(selector: string | undefined, labels: Record<string, string>): boolean {
  const wanted = (selector ?? '')
    .split(',')
    .filter((part) => part !== '')
    .map((part) => /^([^!=]+)(!?=)(.*)$/.exec(part) ?? []);
  return wanted.every(
    ([, key, operator, value]) => (labels[key ?? ''] === value) === (operator === '='),
  );
}

// A change a watch of `query` may see: the collection's kind, its namespace and a name.
function matches(change: Change, query: KubeWatchQuery): boolean {
  const custom = /^\/apis\/([^/]+)\/[^/]+\/([^/]+)$/.exec(query.path);
  if (custom !== null) return change.kind === `${custom[1]}/${custom[2]}`;
  const [, namespaceOfPath, plural] =
    /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(namespaces|secrets|serviceaccounts)$/.exec(
      query.path,
    ) ?? [];
  const { name, namespace } = change.event.object.metadata ?? {};
  const kinds = {
    namespaces: 'namespace',
    secrets: 'secret',
    serviceaccounts: 'serviceaccount',
  } as const;
  const kindMatches =
    plural !== undefined &&
    kinds[plural as keyof typeof kinds] === change.kind &&
    (namespaceOfPath === undefined || namespace === namespaceOfPath);
  const named =
    query.fieldSelector === undefined || query.fieldSelector === `metadata.name=${name}`;
  return kindMatches && named;
}

// The event a label-selected watch sees of a change: ADDED once the object matches, DELETED once it no longer does.
function seenAs(change: Change, selector: string | undefined): KubeWatchEvent | undefined {
  const now = selects(selector, change.event.object.metadata?.labels ?? {});
  if (change.event.type !== 'MODIFIED' || change.labelsBefore === undefined)
    return now ? change.event : undefined;
  const before = selects(selector, change.labelsBefore);
  if (now === before) return now ? change.event : undefined;
  return { ...change.event, type: now ? 'ADDED' : 'DELETED' };
}

function customObjectKey(kind: CustomResourceKind, name: string): string {
  return `${kind.group}/${kind.plural}/${kind.namespace ?? ''}/${name}`;
}
