import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { combinedRecord, type CredentialRecord } from '../credential/registry-credential.ts';
import { findAuthEntry, type DockerConfig } from './docker-config.ts';

/**
 * What ecr-refresh remembers about the entries it wrote into a docker config: a docker config has
 * no room for an expiry, so it lives in a state file beside it. Each entry keeps a fingerprint
 * of the `auth` written, so an entry replaced since (by `docker login`, by hand) is not trusted.
 */
const StateFile = z.object({
  version: z.literal(1),
  entries: z.record(
    z.string(),
    z.object({ fetchedAt: z.iso.datetime(), expiresAt: z.iso.datetime(), authSha256: z.string() }),
  ),
});
type StateFile = z.infer<typeof StateFile>;

/** The state file's path for a docker config path. */
export function stateFilePath(configPath: string): string {
  return configPath.replace(/(\.json)?$/, '.ecr-refresh-state.json');
}

/** Reads the state file; a missing or unreadable one means nothing is known (so: refresh). */
export async function readState(path: string): Promise<StateFile> {
  try {
    const parsed = StateFile.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Missing or corrupt: the entries are simply refreshed, which rewrites it.
  }
  return { version: 1, entries: {} };
}

/**
 * The record of what is in place for `hosts`: only hosts whose entry still carries the auth we
 * wrote count, and the record is as fresh as the oldest of them.
 */
export function recordFor(
  state: StateFile,
  config: DockerConfig,
  hosts: readonly string[],
): CredentialRecord | undefined {
  const valid = hosts.flatMap((host) => {
    const entry = state.entries[host];
    const auth = findAuthEntry(config, host)?.auth;
    if (entry === undefined || auth === undefined || fingerprint(auth) !== entry.authSha256)
      return [];
    return [{ host, fetchedAt: new Date(entry.fetchedAt), expiresAt: new Date(entry.expiresAt) }];
  });
  return valid.length === 0 ? undefined : combinedRecord(valid);
}

/** The state after writing `credentials`; entries of other hosts are kept. */
export function nextState(
  state: StateFile,
  credentials: Iterable<{ host: string; auth: string; fetchedAt: Date; expiresAt: Date }>,
): StateFile {
  const entries = { ...state.entries };
  for (const credential of credentials) {
    entries[credential.host] = {
      fetchedAt: credential.fetchedAt.toISOString(),
      expiresAt: credential.expiresAt.toISOString(),
      authSha256: fingerprint(credential.auth),
    };
  }
  return { version: 1, entries };
}

function fingerprint(auth: string): string {
  return createHash('sha256').update(auth).digest('hex');
}
