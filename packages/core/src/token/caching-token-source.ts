import { isFresh, type RegistryCredential } from '../credential/registry-credential.ts';
import type { TokenSource } from './token-source.ts';

/**
 * Wraps a {@link TokenSource} so credentials are reused until their half-life: a long-running
 * service that writes a new namespace between two refreshes reuses the token it holds instead of
 * calling ECR again. A one-shot run does not need it.
 */
export function createCachingTokenSource(
  inner: TokenSource,
  clock: () => Date = () => new Date(),
): TokenSource {
  const cache = new Map<string, RegistryCredential>();

  function cachedFor(hosts: readonly string[]): Map<string, RegistryCredential> | undefined {
    const now = clock();
    const hit = new Map<string, RegistryCredential>();
    for (const host of hosts) {
      const credential = cache.get(host);
      if (credential === undefined || !isFresh({ ...credential, hosts: [host] }, [host], now))
        return undefined;
      hit.set(host, credential);
    }
    return hit;
  }

  return {
    get calls() {
      return inner.calls;
    },
    async fetch(registries, options) {
      const hit = cachedFor(registries.map((target) => target.host));
      if (hit !== undefined) return hit;
      const fetched = await inner.fetch(registries, options);
      for (const [host, credential] of fetched) cache.set(host, credential);
      return fetched;
    },
  };
}
