import { isFresh, parseRegistry, silentLogger, type ApplyContext, type CredentialRecord, type RegistryCredential } from '@ecr-refresh/core';

/** A context for one run of a sink, counting ECR fetches; as core's `refresh` builds it. */
export function applyContext(
  hosts: readonly string[],
  options: { password?: string; now?: Date; force?: boolean; dryRun?: boolean } = {},
): ApplyContext & { fetches: number } {
  const now = options.now ?? new Date();
  const password = options.password ?? 'ecr-password-from-fixture-0123';
  const context = {
    fetches: 0,
    registries: hosts.map((host) => parseRegistry(host)),
    dryRun: options.dryRun ?? false,
    signal: new AbortController().signal,
    logger: silentLogger,
    now: () => now,
    needsRefresh: (record: CredentialRecord | undefined, only: readonly string[] = hosts) => options.force === true || !isFresh(record, only, now),
    async credentials(): Promise<ReadonlyMap<string, RegistryCredential>> {
      context.fetches += 1;
      const expiresAt = new Date(now.getTime() + 12 * 3600_000);
      const auth = Buffer.from(`AWS:${password}`).toString('base64');
      return new Map(hosts.map((host) => [host, { host, username: 'AWS', password, auth, fetchedAt: now, expiresAt }]));
    },
  };
  return context;
}
