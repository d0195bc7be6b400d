import { noteSecret } from '../../support/leak-collector.ts';
import { CattleServer, type Fault, type LoggedRequest } from './cattle-server.ts';
import type { Role } from './cattle-model.ts';

export type { Fault, LoggedRequest } from './cattle-server.ts';
export type { Role } from './cattle-model.ts';

/** An API key as Rancher shows it once: the access key (public) and the secret key. */
export interface Rancher1Key {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** An environment created on the fake Rancher, with an environment API key of its own. */
export interface Rancher1Environment {
  readonly id: string;
  readonly name: string;
  readonly key: Rancher1Key;
}

/** A registry or registry credential as stored, `secretValue` included (the API never shows it). */
export interface StoredView {
  readonly id: string;
  readonly state: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What a pull of an image would authenticate with, or `undefined` when it would pull anonymously. */
export interface PullCredential {
  readonly registryId: string;
  readonly credentialId: string;
  readonly publicValue: unknown;
  readonly secretValue: unknown;
}

/** A running fake Rancher 1.x API server, in this process, on loopback. */
export interface Rancher1 {
  /** `http://127.0.0.1:<port>` (`https://` with the `tls` option). */
  readonly origin: string;
  createEnvironment(name: string): Rancher1Environment;
  /** An account API key of a user with these roles in these environments (by id). */
  createAccountKey(roles: Readonly<Record<string, Role>>): Rancher1Key;
  addRegistry(environmentId: string, serverAddress: string, state?: string): StoredView;
  addCredential(environmentId: string, registryId: string, fields: Record<string, unknown>, state?: string): StoredView;
  /** Registries or credentials of an environment, removed ones included, lowest id first. */
  stored(environmentId: string, type: 'registry' | 'registryCredential'): StoredView[];
  /** Which credential a pull of `image` in the environment would use (Cattle's DockerImageCredentialLookup). */
  pullCredential(environmentId: string, image: string): PullCredential | undefined;
  /** Makes the next matching requests fail (a status, or a dropped connection). */
  injectFault(fault: Fault): void;
  /** Every request answered so far. */
  readonly requests: readonly LoggedRequest[];
  /** Forgets environments, keys, resources, faults and the request log. */
  reset(): void;
  stop(): Promise<void>;
}

/** Options of {@link startRancher1}. */
export interface Rancher1Options {
  /** Page size when the client sends no `limit` (Cattle: 100). */
  defaultPageSize?: number;
  /** Largest `limit` honoured (Cattle documents 1000). */
  maxPageSize?: number;
  /** Milliseconds every answer waits (default 0), for benchmarks that need a server's latency. */
  latencyMs?: number;
  /** Serve HTTPS with this PEM certificate and key (for 127.0.0.1) instead of HTTP. */
  tls?: { cert: string; key: string };
}

/** Starts a fake Rancher 1.x API server on a free loopback port, in this process. */
export async function startRancher1(options: Rancher1Options = {}): Promise<Rancher1> {
  const limits = { defaultLimit: options.defaultPageSize ?? 100, maxLimit: options.maxPageSize ?? 1000 };
  const server = new CattleServer(limits, options.tls);
  server.latencyMs = options.latencyMs ?? 0;
  await server.listen();
  server.unref();
  const view = (resource: { id: string; state: string; fields: Record<string, unknown> }): StoredView => ({ id: resource.id, state: resource.state, fields: { ...resource.fields } });
  return {
    origin: server.origin,
    createEnvironment(name) {
      const project = server.model.addProject(name);
      const key = server.model.addKey({ kind: 'environment', projectId: project.id });
      noteSecret(key.secretKey);
      return { id: project.id, name, key: { accessKey: key.accessKey, secretKey: key.secretKey } };
    },
    createAccountKey(roles) {
      const key = server.model.addKey({ kind: 'account', roles: new Map(Object.entries(roles)) });
      noteSecret(key.secretKey);
      return { accessKey: key.accessKey, secretKey: key.secretKey };
    },
    addRegistry: (environmentId, serverAddress, state) => view(server.model.add('registry', environmentId, { serverAddress }, state)),
    addCredential: (environmentId, registryId, fields, state) => view(server.model.add('registryCredential', environmentId, { ...fields, registryId }, state)),
    stored: (environmentId, type) =>
      [...server.model.resources.values()].filter((resource) => resource.accountId === environmentId && resource.type === type).sort((a, b) => a.number - b.number).map(view),
    pullCredential(environmentId, image) {
      const found = server.model.pullCredential(environmentId, image);
      if (found === undefined) return undefined;
      return { registryId: found.registry.id, credentialId: found.credential.id, publicValue: found.credential.fields.publicValue, secretValue: found.credential.fields.secretValue };
    },
    injectFault: (fault) => void server.faults.push({ ...fault }),
    get requests() {
      return server.log;
    },
    reset() {
      server.model.projects.clear();
      server.model.keys.clear();
      server.model.resources.clear();
      server.faults.length = 0;
      server.log.length = 0;
    },
    stop: () => server.close(),
  };
}

let shared: Promise<Rancher1> | undefined;

/**
 * The run's shared fake Rancher 1.x, started on first call. It lives in the test process and
 * does not keep it alive; suites share it, so each creates its own environments (ids and keys
 * are unique) or calls `reset()` in `beforeEach` if it owns the server for its duration.
 */
export function useRancher1(): Promise<Rancher1> {
  shared ??= startRancher1().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
