import * as z from 'zod';
import { ConfigError } from '../errors.ts';
import { describeSchemaIssues } from '../text/schema-issues.ts';
import type { RegistryCredential } from '../credential/registry-credential.ts';

/** One `auths` entry of a docker config. Fields we do not know are kept as they are. */
export const DockerAuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  email: z.string().optional(),
});
export type DockerAuthEntry = z.infer<typeof DockerAuthEntry>;

/**
 * A docker `config.json` or `.dockerconfigjson`: `auths` by registry, plus every other setting
 * (`credHelpers`, `credsStore`, `proxies`, …), which ecr-refresh keeps and never changes.
 */
export const DockerConfig = z.looseObject({
  auths: z.record(z.string(), DockerAuthEntry).optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
});
export type DockerConfig = z.infer<typeof DockerConfig>;

/**
 * Parses a docker config from JSON text. `source` names where it came from, for the error.
 * Throws {@link ConfigError} listing every problem when the text is not a docker config.
 */
export function decodeDockerConfig(text: string, source: string): DockerConfig {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${source}: not valid JSON (${(error as Error).message}); expected a docker config like {"auths": {}}`,
      { cause: error },
    );
  }
  const parsed = DockerConfig.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(describeSchemaIssues(parsed.error.issues, { prefix: `${source}: ` }));
  }
  return parsed.data;
}

/** Serialises a docker config as the docker CLI writes it (tab-indented JSON). */
export function encodeDockerConfig(config: DockerConfig): string {
  return `${JSON.stringify(config, null, '\t')}\n`;
}

/** The `auths` entry for one credential, as `kubectl create secret docker-registry` writes it. */
function authEntryFor(credential: RegistryCredential, email?: string): DockerAuthEntry {
  return {
    username: credential.username,
    password: credential.password,
    ...(email === undefined ? {} : { email }),
    auth: credential.auth,
  };
}

/**
 * The canonical host of an `auths` key, as docker and the kubelet match them: scheme, path and
 * trailing slash removed, lower case.
 */
function normalizeAuthKey(key: string): string {
  return key
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
}

/**
 * Returns a copy of `config` in which each credential's host has exactly one entry, keyed by the
 * bare host. Variants of the same host (`https://host`, `host/v2/`) are replaced, so no stale
 * duplicate shadows the new credential; every other entry and setting is kept untouched.
 */
export function mergeCredentials(
  config: DockerConfig,
  credentials: Iterable<RegistryCredential>,
  email?: string,
): DockerConfig {
  const ours = new Map<string, RegistryCredential>();
  for (const credential of credentials) ours.set(credential.host, credential);
  const auths: Record<string, DockerAuthEntry> = {};
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (!ours.has(normalizeAuthKey(key))) auths[key] = entry;
  }
  for (const [host, credential] of ours) auths[host] = authEntryFor(credential, email);
  return { ...config, auths };
}

/** The `auths` entry a config holds for `host` under any of its key variants. */
export function findAuthEntry(config: DockerConfig, host: string): DockerAuthEntry | undefined {
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (normalizeAuthKey(key) === host) return entry;
  }
  return undefined;
}
