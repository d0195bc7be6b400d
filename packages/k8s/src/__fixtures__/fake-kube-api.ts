import { KubernetesApiError } from '../errors.ts';
import type { JsonPatchOperation, KubeApi, KubeNamespace, KubeSecret, KubeServiceAccount } from '../kube-api.ts';

type Stored = { resourceVersion: number };

/**
 * An in-memory API server for one cluster with the semantics the sink relies on: resourceVersion
 * bumped on every write, 409 AlreadyExists on create, 409 Conflict on a stale replace, JSON patch
 * with `test` (422 when it fails), 404 for missing objects and namespaces. `beforeWrite` lets a
 * test act between the sink's read and its write (a racing writer).
 */
export class FakeKubeApi implements KubeApi {
  readonly namespaces = new Map<string, KubeNamespace>();
  readonly secrets = new Map<string, KubeSecret>();
  readonly serviceAccounts = new Map<string, KubeServiceAccount>();
  readonly requests: string[] = [];
  /** Runs before each write is applied; may change the store to simulate a concurrent writer. */
  beforeWrite: ((kind: 'create' | 'replace' | 'patch', key: string) => void) | undefined;
  /** Makes the next matching request fail with this status. */
  failNext: { verb: string; status: number; reason: string } | undefined;
  private version = 100;

  addNamespace(name: string, labels: Record<string, string> = {}, phase = 'Active'): void {
    this.namespaces.set(name, { name, labels, phase });
  }

  addServiceAccount(namespace: string, name: string, pullSecrets?: string[]): void {
    this.serviceAccounts.set(`${namespace}/${name}`, {
      metadata: { name, namespace, resourceVersion: this.nextVersion() },
      ...(pullSecrets === undefined ? {} : { imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })) }),
    });
  }

  putSecret(namespace: string, secret: KubeSecret): void {
    const name = secret.metadata?.name ?? '';
    this.secrets.set(`${namespace}/${name}`, structuredClone({ ...secret, metadata: { ...secret.metadata, namespace, resourceVersion: this.nextVersion() } }));
  }

  async listNamespaces(labelSelector?: string): Promise<KubeNamespace[]> {
    this.record('list', 'namespaces');
    const wanted = (labelSelector ?? '').split(',').filter((part) => part !== '').map((part) => part.split('='));
    return [...this.namespaces.values()].filter((namespace) => wanted.every(([key, value]) => namespace.labels[key ?? ''] === value));
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
    this.secrets.set(key, structuredClone({ ...secret, metadata: { ...secret.metadata, resourceVersion: this.nextVersion() } }));
    return structuredClone(this.secrets.get(key) as KubeSecret);
  }

  async replaceSecret(namespace: string, name: string, secret: KubeSecret): Promise<KubeSecret> {
    const key = `${namespace}/${name}`;
    this.record('replace', `secrets/${key}`);
    this.beforeWrite?.('replace', key);
    const current = this.secrets.get(key);
    if (current === undefined) throw this.error('PUT', key, 404, 'NotFound');
    if (secret.metadata?.resourceVersion !== undefined && secret.metadata.resourceVersion !== current.metadata?.resourceVersion) {
      throw this.error('PUT', key, 409, 'Conflict');
    }
    if (secret.type !== current.type) throw this.error('PUT', key, 422, 'Invalid');
    this.secrets.set(key, structuredClone({ ...secret, metadata: { ...secret.metadata, resourceVersion: this.nextVersion() } }));
    return structuredClone(this.secrets.get(key) as KubeSecret);
  }

  async readServiceAccount(namespace: string, name: string): Promise<KubeServiceAccount | undefined> {
    this.record('get', `serviceaccounts/${namespace}/${name}`);
    const found = this.serviceAccounts.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  async listServiceAccounts(namespace: string): Promise<KubeServiceAccount[]> {
    this.record('list', `serviceaccounts/${namespace}`);
    return [...this.serviceAccounts.entries()].filter(([key]) => key.startsWith(`${namespace}/`)).map(([, account]) => structuredClone(account));
  }

  async patchServiceAccount(namespace: string, name: string, operations: readonly JsonPatchOperation[]): Promise<KubeServiceAccount> {
    const key = `${namespace}/${name}`;
    this.record('patch', `serviceaccounts/${key}`);
    this.beforeWrite?.('patch', key);
    const current = this.serviceAccounts.get(key);
    if (current === undefined) throw this.error('PATCH', key, 404, 'NotFound');
    const next = structuredClone(current);
    for (const operation of operations) {
      if (operation.op === 'test') {
        if (operation.path !== '/metadata/resourceVersion' || operation.value !== current.metadata?.resourceVersion) throw this.error('PATCH', key, 422, 'Invalid');
      } else if (operation.op === 'add' && operation.path === '/imagePullSecrets') {
        next.imagePullSecrets = operation.value as Array<{ name: string }>;
      } else if (operation.op === 'add' && operation.path === '/imagePullSecrets/-') {
        if (next.imagePullSecrets === undefined) throw this.error('PATCH', key, 422, 'Invalid');
        next.imagePullSecrets.push(operation.value as { name: string });
      } else {
        throw new Error(`the fake does not implement ${JSON.stringify(operation)}`);
      }
    }
    next.metadata = { ...next.metadata, resourceVersion: this.nextVersion() };
    this.serviceAccounts.set(key, next);
    return structuredClone(next);
  }

  /** Requests of a verb (`get`, `create`, `replace`, `patch`, `list`). */
  count(verb: string): number {
    return this.requests.filter((request) => request.startsWith(`${verb} `)).length;
  }

  private record(verb: string, what: string): void {
    this.requests.push(`${verb} ${what}`);
    if (this.failNext !== undefined && this.failNext.verb === verb) {
      const { status, reason } = this.failNext;
      this.failNext = undefined;
      throw this.error(verb.toUpperCase(), what, status, reason);
    }
  }

  private error(method: string, path: string, status: number, reason: string): KubernetesApiError {
    return new KubernetesApiError('fake', { method, path, status, reason }, `${method} ${path}: HTTP ${status} ${reason}`);
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }
}
