/**
 * The Cattle schema facts the test server enforces, transcribed from rancher/cattle
 * `resources/content/schema/{base,user,project}` at 82d154a5 (and, for v1's `email`, the
 * registryCredential schema before commit 52c1a6291 "Drop email from registry").
 * Field flags are Cattle's auth flags: c create, r read, u update, o read on create only.
 */

/** The API versions served; they differ only in the credential's `email` (and v1's `restore`). */
export type ApiVersion = 'v1' | 'v2-beta';
/** The resource types served, as Cattle names them. */
export type CattleType = 'registry' | 'registryCredential';

/** One field of a resource type as the server treats it. */
export interface FieldRule {
  readonly type: string;
  readonly flags: string;
  readonly required?: boolean;
  readonly nullable?: boolean;
  readonly minLength?: number;
  /** A column in Cattle's table (so a collection filter on it works); `data.fields` JSON otherwise. */
  readonly column?: boolean;
}

const COMMON: Record<string, FieldRule> = {
  id: { type: 'string', flags: 'r', column: true },
  name: { type: 'string', flags: 'cru', column: true },
  description: { type: 'string', flags: 'cru', column: true },
  state: { type: 'enum', flags: 'r', column: true },
  kind: { type: 'string', flags: 'r', column: true },
  accountId: { type: 'reference[account]', flags: 'r', column: true },
  created: { type: 'date', flags: 'r', column: true },
  uuid: { type: 'string', flags: 'r', column: true },
};

/** The fields of `type` in API `version`: base schema + user overlay + project (environment key) overlay. */
export function fieldsOf(type: CattleType, version: ApiVersion): Record<string, FieldRule> {
  if (type === 'registry') {
    return {
      ...COMMON,
      // registry.json: required, not nullable, minLength 1; user-auth.json: `cr` (not updatable).
      serverAddress: { type: 'string', flags: 'cr', required: true, nullable: false, minLength: 1 },
      // storagePool.json fields, read-only for users.
      blockDevicePath: { type: 'string', flags: 'r', nullable: true },
      driverName: { type: 'string', flags: 'r', nullable: true },
      externalId: { type: 'string', flags: 'r', nullable: true },
      volumeAccessMode: { type: 'string', flags: 'r', nullable: true },
      volumeCapabilities: { type: 'array[string]', flags: 'r', nullable: true },
    };
  }
  return {
    ...COMMON,
    registryId: { type: 'reference[registry]', flags: 'cr', required: true, nullable: false, column: true },
    publicValue: { type: 'string', flags: 'cru', column: true },
    // credential.json `password`; user-auth.json `curo`: written, never read back.
    secretValue: { type: 'password', flags: 'curo' },
    ...(version === 'v1' ? { email: { type: 'string', flags: 'cru', required: true, nullable: false, minLength: 1 } } : {}),
  };
}

/** The plural (collection) name of a type, lower-case as well as Cattle's camel case. */
export const COLLECTIONS: Readonly<Record<string, CattleType>> = {
  registries: 'registry',
  registrycredentials: 'registryCredential',
  registryCredentials: 'registryCredential',
};

/** The id prefix Cattle gives each table: storage pools `1sp`, credentials `1c`, accounts `1a`. */
export const ID_PREFIX: Readonly<Record<CattleType | 'project', string>> = { registry: '1sp', registryCredential: '1c', project: '1a' };

/** The schema document of `/schemas/<type>` for a caller who may (or may not) write. */
export function schemaDocument(type: CattleType, version: ApiVersion, origin: string, writable: boolean): Record<string, unknown> {
  const fields = fieldsOf(type, version);
  const plural = type === 'registry' ? 'registries' : 'registryCredentials';
  return {
    id: type,
    type: 'schema',
    links: { self: `${origin}/${version}/schemas/${type.toLowerCase()}`, collection: `${origin}/${version}/${plural.toLowerCase()}` },
    pluralName: plural,
    baseType: type === 'registry' ? 'storagePool' : 'credential',
    collectionMethods: writable ? ['GET', 'POST'] : ['GET'],
    resourceMethods: writable ? ['GET', 'PUT', 'DELETE'] : ['GET'],
    resourceFields: Object.fromEntries(
      Object.entries(fields).map(([name, rule]) => [
        name,
        {
          type: rule.type,
          create: writable && rule.flags.includes('c'),
          update: writable && rule.flags.includes('u'),
          required: rule.required ?? false,
          nullable: rule.nullable ?? true,
          ...(rule.minLength === undefined ? {} : { minLength: rule.minLength }),
        },
      ]),
    ),
    resourceActions: Object.fromEntries(['activate', 'deactivate', 'remove', 'purge', ...(version === 'v1' ? ['restore'] : [])].map((action) => [action, { output: type === 'registry' ? 'storagePool' : 'credential' }])),
    collectionFilters: Object.fromEntries(Object.entries(fields).filter(([, rule]) => rule.column === true).map(([name]) => [name, { modifiers: ['eq', 'ne', 'prefix', 'like', 'notlike', 'null', 'notnull'] }])),
  };
}
