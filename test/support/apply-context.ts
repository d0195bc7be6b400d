// A sink's ApplyContext as core's refresh() builds it, for the unit tests of every sink package.
import {
  isFresh,
  parseRegistry,
  silentLogger,
  type ApplyContext,
  type CredentialRecord,
} from '@ecr-refresh/core';
import { credentialFor } from '../../packages/core/src/__fixtures__/credentials.ts';

export { credentialFor };

/** Options of {@link applyContextFor}. */
export interface ApplyContextOptions {
  now?: Date;
  force?: boolean;
  dryRun?: boolean;
  /** The password every credential carries. */
  password?: string;
  /** Makes `credentials()` reject with this error. */
  fail?: Error;
  signal?: AbortSignal;
}

/** The context of one run serving `hosts`, counting its ECR fetches in `fetches`. */
export function applyContextFor(
  hosts: readonly string[],
  options: ApplyContextOptions = {},
): ApplyContext & { fetches: number } {
  const now = options.now ?? new Date();
  const context = {
    fetches: 0,
    registries: hosts.map((host) => parseRegistry(host)),
    dryRun: options.dryRun ?? false,
    signal: options.signal ?? new AbortController().signal,
    logger: silentLogger,
    now: () => now,
    needsRefresh: (record: CredentialRecord | undefined, only: readonly string[] = hosts) =>
      options.force === true || !isFresh(record, only, now),
    async credentials() {
      context.fetches += 1;
      if (options.fail) throw options.fail;
      return new Map(hosts.map((host) => [host, credentialFor(host, options.password, now)]));
    },
  };
  return context;
}
