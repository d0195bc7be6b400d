import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { queryCollection, type PageLimits } from './cattle-collection.ts';
import { actionsIn, CattleModel, TransitionError, type ApiKey, type StoredResource } from './cattle-model.ts';
import { COLLECTIONS, fieldsOf, schemaDocument, type ApiVersion, type CattleType } from './cattle-schemas.ts';

/** A scripted failure: the next `times` matching requests get `status` (or a dropped connection). */
export interface Fault {
  times: number;
  status?: number;
  reset?: boolean;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
}

/** One request the server answered, for assertions on counts (never on the exact calls). */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly accessKey?: string | undefined;
}

/** A Cattle error body answered with `status`. */
class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldName: string | undefined;

  constructor(status: number, code: string, message: string, fieldName?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.fieldName = fieldName;
  }
}

interface Caller {
  readonly key: ApiKey;
  readonly version: ApiVersion;
  readonly origin: string;
}

/**
 * The HTTP side of the fake Rancher 1.x API: `/v1` and `/v2-beta`, basic auth with environment
 * and account keys, projects, schemas, registries and registry credentials (list, create, read,
 * update, delete, actions), Cattle error bodies, and the test-only, read-only
 * `GET /test-api/pull-credential?projectId=&image=`.
 */
export class CattleServer {
  readonly model = new CattleModel();
  readonly log: LoggedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly #server: Server;
  readonly #scheme: 'http' | 'https';
  #origin = '';

  readonly limits: PageLimits;
  /** Milliseconds every answer waits, to stand in for a real server's work (a Cattle request takes several). */
  latencyMs = 0;

  constructor(limits: PageLimits, tls?: { cert: string; key: string }) {
    this.limits = limits;
    const handler = (request: IncomingMessage, response: ServerResponse): void => void this.#handle(request, response);
    this.#server = tls === undefined ? createServer(handler) : createTlsServer(tls, handler);
    this.#scheme = tls === undefined ? 'http' : 'https';
  }

  get origin(): string {
    return this.#origin;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    this.#origin = `${this.#scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  /** Lets the process exit while the server is up (it runs inside the test process). */
  unref(): void {
    this.#server.unref();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.#origin);
    const method = request.method ?? 'GET';
    let text = '';
    for await (const chunk of request) text += String(chunk);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const fault = this.#takeFault(method, url.pathname);
    if (fault?.reset === true) {
      this.log.push({ method, path: url.pathname + url.search, status: 0 });
      request.socket.destroy();
      return;
    }
    let status = 200;
    let body: unknown;
    let settle: (() => void) | undefined;
    let accessKey: string | undefined;
    try {
      if (fault !== undefined) throw new ApiError(fault.status ?? 500, 'ServerError', 'injected fault');
      if (url.pathname.startsWith('/test-api/')) {
        body = this.#testApi(url);
      } else {
        const caller = this.#authenticate(request, url);
        accessKey = caller.key.accessKey;
        ({ status, body, settle } = this.#route(caller, method, url, text));
      }
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'ServerError', (error as Error).message);
      status = apiError.status;
      body = { type: 'error', status, code: apiError.code, message: apiError.message, detail: null, ...(apiError.fieldName === undefined ? {} : { fieldName: apiError.fieldName }) };
    }
    this.log.push({ method, path: url.pathname + url.search, status, accessKey });
    const version = /^\/(v1|v2-beta)\b/.exec(url.pathname)?.[1] ?? 'v2-beta';
    response.writeHead(status, { 'content-type': 'application/json', 'x-api-schemas': `${this.#origin}/${version}/schemas` }).end(JSON.stringify(body));
    // Creates and updates answer with their transitioning state, then settle.
    settle?.();
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((candidate) => (candidate.method === undefined || candidate.method === method) && (candidate.pathIncludes === undefined || path.includes(candidate.pathIncludes)));
    if (fault === undefined) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  #authenticate(request: IncomingMessage, url: URL): Caller {
    const version = /^\/(v1|v2-beta)(\/|$)/.exec(url.pathname)?.[1] as ApiVersion | undefined;
    if (version === undefined) throw new ApiError(404, 'NotFound', `${url.pathname} not found`);
    const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
    const [accessKey = '', secretKey] = scheme?.toLowerCase() === 'basic' ? Buffer.from(encoded ?? '', 'base64').toString().split(/:(.*)/s) : [];
    const key = this.model.keys.get(accessKey);
    if (key === undefined || key.secretKey !== secretKey) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return { key, version, origin: this.#origin };
  }

  #route(caller: Caller, method: string, url: URL, text: string): { status: number; body: unknown; settle?: () => void } {
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    if (parts.length === 0) return { status: 200, body: { type: 'apiVersion', id: caller.version, links: { self: `${caller.origin}/${caller.version}`, projects: `${caller.origin}/${caller.version}/projects`, schemas: `${caller.origin}/${caller.version}/schemas` } } };
    if (parts[0] === 'schemas') return { status: 200, body: this.#schemas(caller, parts[1]) };
    let projectId: string | undefined;
    if (parts[0] === 'projects') {
      if (parts.length === 1) return { status: 200, body: this.#projects(caller, url) };
      projectId = parts[1] ?? '';
      if (!this.#visibleProjects(caller.key).some((project) => project.id === projectId)) throw new ApiError(404, 'NotFound', `project ${projectId} not found`);
      if (parts.length === 2) return { status: 200, body: this.#projectView(caller, this.model.projects.get(projectId)!) };
      parts.splice(0, 2);
    } else if (caller.key.kind === 'environment') {
      // "/v2-beta/projects/1a5/hosts is the same as /v2-beta/hosts" for an environment key.
      projectId = caller.key.projectId;
    }
    const type = COLLECTIONS[parts[0] ?? ''];
    if (type === undefined) throw new ApiError(404, 'NotFound', `${url.pathname} not found`);
    const writable = projectId !== undefined && this.#mayWrite(caller.key, projectId);
    if (projectId === undefined) {
      // An account key outside a project acts as its user account, which owns no registries.
      if (method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `Resource type [${type}] is not creatable`);
      return { status: 200, body: this.#collection(caller, type, [], url) };
    }
    if (method !== 'GET' && !writable) throw new ApiError(405, 'MethodNotAllowed', `Resource type [${type}] is not ${method === 'PUT' ? 'updatable' : 'creatable'}`);
    const id = parts[1];
    if (id === undefined) {
      if (method === 'GET') return { status: 200, body: this.#collection(caller, type, this.model.listed(type, projectId), url, projectId) };
      if (method === 'POST') return this.#create(caller, type, projectId, parseBody(text));
      throw new ApiError(405, 'MethodNotAllowed', `${method} not allowed on a collection`);
    }
    const resource = this.model.resources.get(id);
    if (resource === undefined || resource.type !== type || resource.accountId !== projectId || resource.state === 'purged') throw new ApiError(404, 'NotFound', `${type} ${id} not found`);
    const action = url.searchParams.get('action');
    if (method === 'POST' && action !== null) return { status: 200, body: this.#act(caller, resource, action) };
    if (method === 'GET') return { status: 200, body: this.#view(caller, resource) };
    if (method === 'PUT') return this.#update(caller, resource, parseBody(text));
    if (method === 'DELETE') return { status: 200, body: this.#act(caller, resource, 'remove') };
    throw new ApiError(405, 'MethodNotAllowed', `${method} not allowed`);
  }

  #visibleProjects(key: ApiKey): Array<{ id: string; name: string; state: string }> {
    return [...this.model.projects.values()].filter((project) => (key.kind === 'environment' ? project.id === key.projectId : key.roles.has(project.id)));
  }

  #mayWrite(key: ApiKey, projectId: string): boolean {
    if (key.kind === 'environment') return key.projectId === projectId;
    const role = key.roles.get(projectId);
    return role === 'owner' || role === 'member';
  }

  #projects(caller: Caller, url: URL): unknown {
    const projects = this.#visibleProjects(caller.key).map((project) => this.#projectView(caller, project));
    const fields = { id: { type: 'string', flags: 'r', column: true }, name: { type: 'string', flags: 'r', column: true }, state: { type: 'string', flags: 'r', column: true } };
    const page = queryCollection(projects, fields, url.searchParams, this.limits, (marker, limit) => `${caller.origin}/${caller.version}/projects?limit=${limit}&marker=m${marker}`);
    return { type: 'collection', resourceType: 'project', links: { self: `${caller.origin}${url.pathname}` }, createTypes: {}, actions: {}, sortLinks: {}, ...page };
  }

  #projectView(caller: Caller, project: { id: string; name: string; state: string }): Record<string, unknown> {
    const self = `${caller.origin}/${caller.version}/projects/${project.id}`;
    return { id: project.id, type: 'project', kind: 'project', name: project.name, state: project.state, links: { self, registries: `${self}/registries`, registryCredentials: `${self}/registrycredentials` } };
  }

  #schemas(caller: Caller, type: string | undefined): unknown {
    const writable = caller.key.kind === 'environment' || [...caller.key.roles.values()].some((role) => role === 'owner' || role === 'member');
    const documents = (['registry', 'registryCredential'] as const).map((name) => schemaDocument(name, caller.version, caller.origin, writable));
    if (type === undefined) return { type: 'collection', resourceType: 'schema', data: documents };
    const document = documents.find((candidate) => String(candidate.id).toLowerCase() === type.toLowerCase());
    if (document === undefined) throw new ApiError(404, 'NotFound', `schema ${type} not found`);
    return document;
  }

  #collection(caller: Caller, type: CattleType, resources: readonly StoredResource[], url: URL, projectId?: string): unknown {
    const views = resources.map((resource) => this.#view(caller, resource));
    const page = queryCollection(views, fieldsOf(type, caller.version), url.searchParams, this.limits, (marker, limit) => {
      const next = new URLSearchParams(url.searchParams);
      next.set('limit', String(limit));
      next.set('marker', `m${marker}`);
      return `${caller.origin}${url.pathname}?${next}`;
    });
    return {
      type: 'collection',
      resourceType: type,
      links: { self: `${caller.origin}${url.pathname}` },
      createTypes: projectId === undefined ? {} : { [type]: `${caller.origin}${url.pathname}` },
      actions: {},
      sortLinks: {},
      ...page,
    };
  }

  /** A resource as the API shows it: `secretValue` never, `email` only on v1. */
  #view(caller: Caller, resource: StoredResource): Record<string, unknown> {
    const plural = resource.type === 'registry' ? 'registries' : 'registrycredentials';
    const self = `${caller.origin}/${caller.version}/projects/${resource.accountId}/${plural}/${resource.id}`;
    const fields = fieldsOf(resource.type, caller.version);
    const shown = Object.fromEntries(Object.keys(fields).filter((name) => !fields[name]?.flags.includes('o')).map((name) => [name, resource.fields[name] ?? null]));
    return {
      ...shown,
      id: resource.id,
      type: resource.type,
      baseType: resource.type === 'registry' ? 'storagePool' : 'credential',
      kind: resource.type,
      state: resource.state,
      accountId: resource.accountId,
      created: resource.created.toISOString(),
      createdTS: resource.created.getTime(),
      removed: resource.removed?.toISOString() ?? null,
      uuid: resource.uuid,
      transitioning: /ing(-|$)/.test(resource.state) ? 'yes' : 'no',
      links: { self, account: `${caller.origin}/${caller.version}/projects/${resource.accountId}` },
      actions: Object.fromEntries(actionsIn(resource.state, caller.version === 'v1').map((action) => [action, `${self}/?action=${action}`])),
    };
  }

  #create(caller: Caller, type: CattleType, projectId: string, input: Record<string, unknown>): { status: number; body: unknown; settle: () => void } {
    const fields = fieldsOf(type, caller.version);
    const values = this.#validate(fields, input, 'c');
    if (type === 'registry') {
      const address = String(values.serverAddress).toLowerCase();
      // RegistryServerAddressFilter: one non-removed registry per address (any case) per environment.
      if (this.model.listed('registry', projectId).some((registry) => String(registry.fields.serverAddress).toLowerCase() === address)) {
        throw new ApiError(400, 'ServerAddressUsed', 'Server address is already in use', 'serverAddress');
      }
    } else {
      const registry = this.model.resources.get(String(values.registryId));
      if (registry?.type !== 'registry' || registry.accountId !== projectId || registry.state === 'removed' || registry.state === 'purged') {
        throw new ApiError(422, 'InvalidReference', 'Invalid reference', 'registryId');
      }
    }
    const resource = this.model.add(type, projectId, values, 'registering');
    const body = this.#view(caller, resource);
    return { status: 201, body, settle: () => this.model.transition(resource, 'activate') };
  }

  #update(caller: Caller, resource: StoredResource, input: Record<string, unknown>): { status: number; body: unknown; settle: () => void } {
    if (resource.state !== 'active' && resource.state !== 'inactive') throw new ApiError(422, 'InvalidState', `cannot update in state ${resource.state}`);
    const fields = fieldsOf(resource.type, caller.version);
    const editable = Object.fromEntries(Object.entries(input).filter(([name]) => fields[name]?.flags.includes('u') === true));
    Object.assign(resource.fields, this.#validate(fields, editable, 'u'));
    const settled = resource.state;
    resource.state = `updating-${settled}`;
    const body = this.#view(caller, resource);
    return { status: 200, body, settle: () => void (resource.state = settled) };
  }

  #act(caller: Caller, resource: StoredResource, action: string): unknown {
    if (action === 'restore' && caller.version !== 'v1') throw new ApiError(422, 'InvalidAction', `Invalid action ${action}`);
    try {
      this.model.transition(resource, action);
    } catch (error) {
      if (error instanceof TransitionError) throw new ApiError(422, 'ActionNotAvailable', error.message);
      throw error;
    }
    return this.#view(caller, resource);
  }

  /** Cattle's validation on create (`c`) or update (`u`): required, not nullable, min length; unknown and non-editable fields ignored. */
  #validate(fields: ReturnType<typeof fieldsOf>, input: Record<string, unknown>, mode: 'c' | 'u'): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, rule] of Object.entries(fields)) {
      if (!rule.flags.includes(mode)) continue;
      const value = input[name];
      if (value === undefined) {
        if (mode === 'c' && rule.required === true) throw new ApiError(422, 'MissingRequired', `${name} is required`, name);
        continue;
      }
      if (value === null && rule.nullable === false) throw new ApiError(422, 'NotNullable', `${name} may not be null`, name);
      if (value !== null && typeof value !== 'string') throw new ApiError(422, 'InvalidFormat', `${name} must be a string`, name);
      if (typeof value === 'string' && rule.minLength !== undefined && value.length < rule.minLength) throw new ApiError(422, 'MinLengthExceeded', `${name} is too short`, name);
      values[name] = value;
    }
    return values;
  }

  #testApi(url: URL): unknown {
    if (url.pathname !== '/test-api/pull-credential') throw new ApiError(404, 'NotFound', `${url.pathname} not found`);
    const found = this.model.pullCredential(url.searchParams.get('projectId') ?? '', url.searchParams.get('image') ?? '');
    if (found === undefined) return { credential: null };
    const { registry, credential } = found;
    return { registryId: registry.id, credentialId: credential.id, publicValue: credential.fields.publicValue ?? null, secretValue: credential.fields.secretValue ?? null };
  }
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const value: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Fall through: Cattle answers InvalidBodyContent.
  }
  throw new ApiError(422, 'InvalidBodyContent', 'the body is not a JSON object');
}
