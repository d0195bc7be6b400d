import { getProxyForUrl } from 'proxy-from-env';

/**
 * The proxy URL that HTTPS_PROXY / HTTP_PROXY / ALL_PROXY name for `url` (NO_PROXY honoured,
 * upper or lower case, as {@link agentFor} does), or undefined when `url` is reached directly.
 * For clients that take a proxy URL rather than an agent (the Kubernetes client's `proxy-url`).
 * The URL may carry user:password: never log it (use `describeProxyFor`).
 */
export function proxyUrlFor(url: string): string | undefined {
  const proxy = getProxyForUrl(url);
  return proxy === '' ? undefined : proxy;
}
