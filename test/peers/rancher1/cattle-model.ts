import { randomBytes, randomUUID } from 'node:crypto';
import { ID_PREFIX, type CattleType } from './cattle-schemas.ts';

/** A Rancher 1.x environment (a Cattle project account). */
export interface Project {
  readonly id: string;
  readonly name: string;
  state: string;
}

/** An API key: an environment key (full rights in its one environment) or an account key (rights by membership role). */
export type ApiKey =
  | { readonly kind: 'environment'; readonly accessKey: string; readonly secretKey: string; readonly projectId: string }
  | { readonly kind: 'account'; readonly accessKey: string; readonly secretKey: string; readonly roles: ReadonlyMap<string, Role> };

/** Project member roles; `readonly` and `restricted` may read registries but not write them. */
export type Role = 'owner' | 'member' | 'readonly' | 'restricted';

/** A stored registry or registry credential; `fields` are what Cattle keeps (secretValue included). */
export interface StoredResource {
  readonly id: string;
  readonly number: number;
  readonly type: CattleType;
  readonly accountId: string;
  state: string;
  readonly created: Date;
  readonly uuid: string;
  removed?: Date;
  fields: Record<string, unknown>;
}

/** Why a state transition is refused: Cattle answers 422 ActionNotAvailable / InvalidState. */
export class TransitionError extends Error {}

// The default processes of Cattle (DefaultProcessesParser): which states each may start from,
// the transitioning state shown meanwhile, and where it ends.
const PROCESSES: Readonly<Record<string, { from: readonly string[]; transitioning: string; to: string }>> = {
  activate: { from: ['inactive', 'registering'], transitioning: 'activating', to: 'active' },
  deactivate: { from: ['requested', 'registering', 'active', 'activating', 'updating-active', 'updating-inactive'], transitioning: 'deactivating', to: 'inactive' },
  remove: { from: ['requested', 'inactive', 'registering', 'updating-active', 'updating-inactive'], transitioning: 'removing', to: 'removed' },
  purge: { from: ['removed'], transitioning: 'purging', to: 'purged' },
  restore: { from: ['removed'], transitioning: 'restoring', to: 'inactive' },
};

/** The actions valid in `state`, as the `actions` map of a resource lists them. */
export function actionsIn(state: string, includeRestore: boolean): string[] {
  return Object.entries(PROCESSES)
    .filter(([name, process]) => process.from.includes(state) && (includeRestore || name !== 'restore'))
    .map(([name]) => name);
}

/**
 * The in-memory state of the fake Rancher: environments, keys, registries and credentials, with
 * Cattle's state machine. Transitions are instantaneous except that a create (and an update)
 * answers with its transitioning state and settles right after the answer is sent.
 */
export class CattleModel {
  readonly projects = new Map<string, Project>();
  readonly keys = new Map<string, ApiKey>();
  readonly resources = new Map<string, StoredResource>();
  #next: Record<string, number> = { project: 5, registry: 1, registryCredential: 1 };

  addProject(name: string): Project {
    const id = `${ID_PREFIX.project}${this.#take('project')}`;
    const project = { id, name, state: 'active' };
    this.projects.set(id, project);
    return project;
  }

  addKey(spec: { kind: 'environment'; projectId: string } | { kind: 'account'; roles: ReadonlyMap<string, Role> }): ApiKey {
    const accessKey = randomBytes(10).toString('hex').toUpperCase();
    const secretKey = randomBytes(20).toString('base64url');
    const key: ApiKey = spec.kind === 'environment' ? { ...spec, accessKey, secretKey } : { ...spec, accessKey, secretKey };
    this.keys.set(accessKey, key);
    return key;
  }

  /** Stores a resource in `state` (default: created and settled, `active`). */
  add(type: CattleType, accountId: string, fields: Record<string, unknown>, state = 'active'): StoredResource {
    const number = this.#take(type);
    const resource: StoredResource = { id: `${ID_PREFIX[type]}${number}`, number, type, accountId, state, created: new Date(), uuid: randomUUID(), fields };
    this.resources.set(resource.id, resource);
    return resource;
  }

  /** Resources of `type` in an account, removed and purged ones excluded (as collections list them). */
  listed(type: CattleType, accountId: string): StoredResource[] {
    return [...this.resources.values()]
      .filter((resource) => resource.type === type && resource.accountId === accountId && resource.state !== 'removed' && resource.state !== 'purged')
      .sort((a, b) => a.number - b.number);
  }

  /**
   * Runs a process on a resource; throws {@link TransitionError} when its state does not allow
   * it. Purging a registry deactivates and removes its credentials (StoragePoolPurge).
   */
  transition(resource: StoredResource, process: string): void {
    const rule = PROCESSES[process];
    if (rule === undefined || !rule.from.includes(resource.state)) {
      throw new TransitionError(`Action ${process} is not available in state ${resource.state}`);
    }
    resource.state = rule.to;
    if (rule.to === 'removed') resource.removed = new Date();
    if (process === 'purge' && resource.type === 'registry') {
      for (const credential of this.resources.values()) {
        if (credential.type === 'registryCredential' && credential.fields.registryId === resource.id && credential.state !== 'removed' && credential.state !== 'purged') {
          credential.state = 'removed';
          credential.removed = new Date();
        }
      }
    }
  }

  /**
   * The credential a pull of `image` in `accountId` would use, as Cattle's
   * DockerImageCredentialLookup picks it: the first active registry whose `serverAddress`
   * equals the image's server ignoring case, then its active credential with the lowest id.
   */
  pullCredential(accountId: string, image: string): { registry: StoredResource; credential: StoredResource } | undefined {
    const server = imageServer(image);
    const registry = this.listed('registry', accountId).find(
      (candidate) => candidate.state === 'active' && String(candidate.fields.serverAddress ?? '').toLowerCase() === server.toLowerCase(),
    );
    if (registry === undefined) return undefined;
    const credential = this.listed('registryCredential', accountId).find(
      (candidate) => candidate.state === 'active' && candidate.fields.registryId === registry.id,
    );
    return credential === undefined ? undefined : { registry, credential };
  }

  #take(kind: string): number {
    const value = this.#next[kind] ?? 1;
    this.#next[kind] = value + 1;
    return value;
  }
}

/** The registry server of an image reference, as docker parses it (`index.docker.io` for bare names). */
export function imageServer(image: string): string {
  const first = image.split('/')[0] ?? '';
  const isServer = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isServer ? first : 'index.docker.io';
}
