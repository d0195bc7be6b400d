import { compareCattleIds, type CattleRegistry } from './cattle-resources.ts';

/** A registry whose `serverAddress` names an ECR host, and how well. */
export interface RegistryMatch {
  readonly registry: CattleRegistry;
  /**
   * True when `serverAddress` is the bare host (any case): the only form Cattle matches an
   * image's server against when it picks a credential for a pull.
   */
  readonly exact: boolean;
}

/**
 * The host a stored `serverAddress` names: lower case, without a scheme, a trailing slash or a
 * path. Users type `https://…` or paste a URL with a trailing `/`; we match those too.
 */
export function hostOfServerAddress(serverAddress: string): string {
  return serverAddress
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/\/.*$/, '');
}

/**
 * The registries that serve `host`, best first: active before inactive, an exact (bare) address
 * before a tolerated one, then the lowest id, as Cattle itself takes the first active match.
 * Matching is done here because Cattle cannot filter on `serverAddress` (it lives in a JSON
 * column; the filter is silently ignored and every registry comes back).
 */
export function registriesFor(
  host: string,
  registries: readonly CattleRegistry[],
): RegistryMatch[] {
  return registries
    .filter(
      (registry) =>
        registry.state !== 'removed' &&
        registry.state !== 'purged' &&
        registry.serverAddress != null,
    )
    .filter((registry) => hostOfServerAddress(registry.serverAddress ?? '') === host)
    .map((registry) => ({
      registry,
      exact: (registry.serverAddress ?? '').trim().toLowerCase() === host,
    }))
    .sort((a, b) => rank(a) - rank(b) || compareCattleIds(a.registry.id, b.registry.id));
}

function rank(match: RegistryMatch): number {
  return (match.registry.state === 'active' ? 0 : 2) + (match.exact ? 0 : 1);
}
