import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

/**
 * Returns the agent that reaches `url`: through the proxy that HTTPS_PROXY / HTTP_PROXY /
 * ALL_PROXY name for it (honouring NO_PROXY, upper or lower case, as curl does), or directly.
 * The AWS SDK and most Node clients ignore these variables, so every client ecr-refresh builds
 * asks here. Plain-HTTP targets (test endpoints) are tunnelled with CONNECT as well.
 */
export function agentFor(
  url: string,
  options: { keepAlive?: boolean } = {},
): HttpAgent | HttpsAgent {
  const proxy = getProxyForUrl(url);
  const keepAlive = options.keepAlive ?? true;
  if (proxy !== '') return new HttpsProxyAgent(proxy, { keepAlive });
  return url.startsWith('http:') ? new HttpAgent({ keepAlive }) : new HttpsAgent({ keepAlive });
}
