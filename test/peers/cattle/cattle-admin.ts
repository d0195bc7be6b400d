import { randomBytes } from 'node:crypto';
import { noteSecret } from '../../support/leak-collector.ts';
import { httpRequest } from '../http-request.ts';
import { waitUntil } from '../wait-until.ts';
import type { CattleDb, DbRow } from './cattle-db.ts';

/** An API key as Rancher shows it once: the access key (public) and the secret key. */
export interface CattleKey {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** An environment (Cattle project) with an environment API key of its own. */
export interface CattleEnvironment {
  readonly id: string;
  readonly name: string;
  readonly key: CattleKey;
}

/** A project role of a user (Cattle's `projectMember.role`). */
export type CattleRole = 'owner' | 'member' | 'readonly' | 'restricted';

/** An answer of the API, the body parsed as JSON (undefined when it is not JSON). */
export interface CattleResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: any;
}

/** A registry as the database holds it (removed ones too). */
export interface StoredRegistry {
  readonly id: string;
  readonly state: string;
  readonly serverAddress: string | undefined;
}

/** A registry credential as the database holds it, `secretValue` included (the API never shows it). */
export interface StoredCredential {
  readonly id: string;
  readonly registryId: string;
  readonly state: string;
  readonly publicValue: string | null;
  readonly secretValue: string | null;
  readonly email: string | null;
  readonly description: string | null;
}

/** What a pull of an image would authenticate with (Cattle's DockerImageCredentialLookup, read from the database). */
export interface PullCredential {
  readonly registryId: string;
  readonly credentialId: string;
  readonly publicValue: string | null;
  readonly secretValue: string | null;
}

/** Admin helpers on a running Cattle; every request is made with the admin's API key. */
export interface CattleAdmin {
  /** The admin account's API key (account `1a1`): it reaches every environment. */
  readonly adminKey: CattleKey;
  /** One request (as the admin unless `key`); resolves for every status. */
  request(
    method: string,
    path: string,
    body?: unknown,
    options?: { key?: CattleKey | null },
  ): Promise<CattleResponse>;
  /** A new environment with an environment API key, both active. Names need not be unique; ids are. */
  createEnvironment(name: string): Promise<CattleEnvironment>;
  /** An account API key of a new user with these roles in these environments (by id). */
  createUserKey(roles: Readonly<Record<string, CattleRole>>): Promise<CattleKey>;
  /** A registry, once `active` (or `inactive` when asked: deactivated after creation). */
  addRegistry(
    environmentId: string,
    serverAddress: string,
    state?: 'active' | 'inactive',
  ): Promise<StoredRegistry>;
  /** A registry credential, once `active`. */
  addCredential(
    environmentId: string,
    registryId: string,
    fields: { publicValue: string; secretValue: string; email?: string },
  ): Promise<StoredCredential>;
  /**
   * Runs an action (`deactivate`, `remove`, …) on a resource once it has settled, and waits until
   * it reaches `until`; an active resource is deactivated first where Cattle requires it (`remove`).
   */
  act(
    environmentId: string,
    collection: 'registries' | 'registrycredentials',
    id: string,
    action: string,
    until: string,
  ): Promise<void>;
  /** The environment's registries as stored, removed ones included, lowest id first. */
  registries(environmentId: string): Promise<StoredRegistry[]>;
  /** The environment's registry credentials as stored, with `secretValue`, lowest id first. */
  credentials(environmentId: string): Promise<StoredCredential[]>;
  /** Which credential a pull of `image` in the environment would use, or undefined (anonymous pull). */
  pullCredential(environmentId: string, image: string): Promise<PullCredential | undefined>;
  /**
   * The pull credential once it carries `secretValue`: what a run created is `registering` for a
   * moment before pulls use it. Rejects after 15 s saying what the pull would use instead.
   */
  settledPull(environmentId: string, image: string, secretValue: string): Promise<PullCredential>;
}

/** Cattle ids are a type prefix and the row id: `1a5` (account 5), `1sp3` (storage pool 3), `1c7` (credential 7). */
export function rowIdOf(apiId: string): number {
  const match = /^1[a-z]+(\d+)$/.exec(apiId);
  if (match === null) throw new Error(`not a Cattle id: ${apiId}`);
  return Number(match[1]);
}

function basic(key: CattleKey): string {
  return `Basic ${Buffer.from(`${key.accessKey}:${key.secretKey}`).toString('base64')}`;
}

/**
 * Mints the admin's API key while access control is off, then turns local access control on
 * (so a missing or wrong key answers a real 401), and returns helpers that use that key.
 */
export async function createCattleAdmin(origin: string, db: CattleDb): Promise<CattleAdmin> {
  let adminKey: CattleKey | undefined;
  async function request(
    method: string,
    path: string,
    body?: unknown,
    options: { key?: CattleKey | null } = {},
  ): Promise<CattleResponse> {
    const key = options.key === undefined ? adminKey : options.key;
    const response = await httpRequest(`${origin}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key == null ? {} : { authorization: basic(key) }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }
  /** A request that must succeed: its parsed body; the message never quotes the body (create answers echo secrets). */
  async function must(method: string, path: string, body?: unknown): Promise<any> {
    const response = await request(method, path, body);
    if (response.status >= 300)
      throw new Error(
        `Cattle ${method} ${path}: HTTP ${response.status} ${String(response.body?.code ?? '')}`,
      );
    return response.body;
  }
  async function waitState(path: string, states: readonly string[]): Promise<void> {
    await waitUntil(async () => states.includes(String((await must('GET', path)).state)), {
      what: `${path} ${states.join('|')}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }
  async function mintKey(accountId: string): Promise<CattleKey> {
    const created = await must('POST', '/v2-beta/apikeys', { accountId });
    const key = { accessKey: String(created.publicValue), secretKey: String(created.secretValue) };
    noteSecret(key.secretKey);
    await waitState(`/v2-beta/apikeys/${created.id}`, ['active']);
    return key;
  }

  adminKey = await mintKey('1a1');
  const password = randomBytes(12).toString('hex');
  noteSecret(password);
  // Its answer echoes the password: never printed.
  await must('POST', '/v2-beta/localauthconfigs', {
    accessMode: 'unrestricted',
    enabled: true,
    name: 'admin',
    username: 'admin',
    password,
  });
  await waitUntil(
    async () =>
      (await request('GET', '/v2-beta/projects', undefined, { key: null })).status === 401,
    { what: 'Cattle access control on', timeoutMs: 30_000 },
  );

  const registryOf = (row: DbRow): StoredRegistry => {
    let serverAddress: string | undefined;
    try {
      serverAddress = (JSON.parse(row.data ?? '{}') as { fields?: { serverAddress?: string } })
        .fields?.serverAddress;
    } catch {
      serverAddress = undefined;
    }
    return { id: `1sp${row.id}`, state: String(row.state), serverAddress };
  };
  const credentialOf = (row: DbRow): StoredCredential => {
    let email: string | null = null;
    try {
      email =
        (JSON.parse(row.data ?? '{}') as { fields?: { email?: string } }).fields?.email ?? null;
    } catch {
      email = null;
    }
    return {
      id: `1c${row.id}`,
      registryId: `1sp${row.registry_id}`,
      state: String(row.state),
      publicValue: row.public_value ?? null,
      secretValue: row.secret_value ?? null,
      email,
      description: row.description ?? null,
    };
  };
  const registries = async (environmentId: string): Promise<StoredRegistry[]> =>
    (
      await db.query(
        `select id, state, data from storage_pool where kind = 'registry' and account_id = ${rowIdOf(environmentId)} order by id`,
      )
    ).map(registryOf);
  const credentials = async (environmentId: string): Promise<StoredCredential[]> =>
    (
      await db.query(
        `select id, registry_id, state, public_value, secret_value, description, data from credential where kind = 'registryCredential' and account_id = ${rowIdOf(environmentId)} order by id`,
      )
    ).map(credentialOf);

  async function pullCredential(
    environmentId: string,
    image: string,
  ): Promise<PullCredential | undefined> {
    // DockerImageCredentialLookup: the first active registry whose serverAddress equals the
    // image's server ignoring case, then its active credential with the lowest id.
    const server = image.split('/')[0]?.toLowerCase() ?? '';
    const registry = (await registries(environmentId)).find(
      (candidate) =>
        candidate.state === 'active' && candidate.serverAddress?.toLowerCase() === server,
    );
    if (registry === undefined) return undefined;
    const credential = (await credentials(environmentId)).find(
      (candidate) => candidate.state === 'active' && candidate.registryId === registry.id,
    );
    if (credential === undefined) return undefined;
    return {
      registryId: registry.id,
      credentialId: credential.id,
      publicValue: credential.publicValue,
      secretValue: credential.secretValue,
    };
  }

  return {
    adminKey,
    request,
    async createEnvironment(name) {
      const project = await must('POST', '/v2-beta/projects', { name });
      await waitState(`/v2-beta/projects/${project.id}`, ['active']);
      return { id: String(project.id), name, key: await mintKey(String(project.id)) };
    },
    async createUserKey(roles) {
      const user = await must('POST', '/v2-beta/accounts', {
        kind: 'user',
        name: `user-${randomBytes(4).toString('hex')}`,
      });
      await waitState(`/v2-beta/accounts/${user.id}`, ['active']);
      for (const [environmentId, role] of Object.entries(roles)) {
        const members = [
          { externalId: '1a1', externalIdType: 'rancher_id', role: 'owner' },
          { externalId: String(user.id), externalIdType: 'rancher_id', role },
        ];
        await must('POST', `/v2-beta/projects/${environmentId}?action=setmembers`, { members });
      }
      return mintKey(String(user.id));
    },
    async addRegistry(environmentId, serverAddress, state = 'active') {
      const created = await must('POST', `/v2-beta/projects/${environmentId}/registries`, {
        serverAddress,
        name: serverAddress,
      });
      const path = `/v2-beta/projects/${environmentId}/registries/${created.id}`;
      await waitState(path, ['active']);
      if (state === 'inactive') {
        await must('POST', `${path}?action=deactivate`, {});
        await waitState(path, ['inactive']);
      }
      return { id: String(created.id), state, serverAddress };
    },
    async addCredential(environmentId, registryId, fields) {
      noteSecret(fields.secretValue);
      const created = await must('POST', `/v2-beta/projects/${environmentId}/registrycredentials`, {
        ...fields,
        registryId,
      });
      await waitState(`/v2-beta/projects/${environmentId}/registrycredentials/${created.id}`, [
        'active',
      ]);
      return {
        id: String(created.id),
        registryId,
        state: 'active',
        publicValue: fields.publicValue,
        secretValue: fields.secretValue,
        email: fields.email ?? null,
        description: null,
      };
    },
    async act(environmentId, collection, id, action, until) {
      const path = `/v2-beta/projects/${environmentId}/${collection}/${id}`;
      await waitState(path, ['active', 'inactive']);
      const { actions } = (await must('GET', path)) as { actions?: Record<string, string> };
      // Cattle offers `remove` only on an inactive resource: an active one is deactivated first.
      if (actions?.[action] === undefined && actions?.deactivate !== undefined) {
        await must('POST', `${path}?action=deactivate`, {});
        await waitState(path, ['inactive']);
      }
      await must('POST', `${path}?action=${action}`, {});
      await waitState(path, [until]);
    },
    registries,
    credentials,
    pullCredential,
    async settledPull(environmentId, image, secretValue) {
      let last: PullCredential | undefined;
      try {
        await waitUntil(
          async () => {
            last = await pullCredential(environmentId, image);
            return last?.secretValue === secretValue;
          },
          { what: `a pull of ${image}`, timeoutMs: 15_000, intervalMs: 100 },
        );
      } catch {
        const what =
          last === undefined
            ? 'no credential'
            : `credential ${last.credentialId} of registry ${last.registryId} (another password)`;
        throw new Error(`a pull of ${image} in ${environmentId} would use ${what}`);
      }
      return last as PullCredential;
    },
  };
}
