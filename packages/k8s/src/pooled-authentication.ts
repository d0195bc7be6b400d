import type { AgentOptions } from 'node:https';
import { HttpMethod, RequestContext, type KubeConfig, type SecurityAuthentication } from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';
import { registerSecret } from '@ecr-refresh/core';

// Often enough for a rotated ServiceAccount token file (the kubelet renews it well before it
// expires) and an exec plugin's short-lived token; rare enough to cost nothing per request.
const AUTHENTICATION_TTL_MS = 60_000;

interface Applied {
  readonly headers: Record<string, string>;
  readonly dispatcher: Dispatcher | undefined;
  readonly until: number;
}

/**
 * The kubeconfig's authentication, applied once a minute instead of per request. client-node
 * 2.0.1 re-applies the kubeconfig for every request — it reads the CA and token files again and
 * builds a new connection pool, so every request also paid a TLS handshake — and its pool speaks
 * HTTP/2 to the API server, which costs this client about a third more CPU per request than
 * HTTP/1.1 over a few keep-alive connections (measured: bench/k8s.ts). So the headers are kept,
 * and direct connections go through one HTTP/1.1 pool with the kubeconfig's TLS settings; a
 * proxied cluster (`proxy-url`, HTTPS_PROXY) keeps the client's own proxy pool.
 */
export function pooledAuthentication(kubeConfig: KubeConfig, now: () => number = Date.now): SecurityAuthentication {
  let applied: Applied | undefined;
  let pending: Promise<void> | undefined;
  const refresh = async (url: string): Promise<void> => {
    const probe = new RequestContext(url, HttpMethod.GET);
    await kubeConfig.applySecurityAuthentication(probe);
    const headers = probe.getHeaders();
    // Whatever produced it (a token, a token file, an exec plugin), the credential is a secret.
    registerSecret(headers.Authorization?.replace(/^\S+ /, ''));
    const dispatcher = await directPool(kubeConfig, probe.getDispatcher());
    // Requests in flight on the previous pool finish first: close() is graceful.
    if (applied?.dispatcher !== dispatcher) void applied?.dispatcher?.close();
    applied = { headers, dispatcher, until: now() + AUTHENTICATION_TTL_MS };
  };
  return {
    getName: () => 'kubeconfig authentication, applied once a minute, one connection pool',
    async applySecurityAuthentication(context: RequestContext) {
      if (applied === undefined || now() >= applied.until) {
        // One refresh for every request that finds it due; a failed one is tried again by the next request.
        pending ??= refresh(context.getUrl()).finally(() => (pending = undefined));
        await pending;
      }
      const current = applied as Applied;
      for (const [name, value] of Object.entries(current.headers)) context.setHeaderParam(name, value);
      if (current.dispatcher !== undefined) context.setDispatcher(current.dispatcher);
    },
  };
}

async function directPool(kubeConfig: KubeConfig, theirs: Dispatcher | undefined): Promise<Dispatcher | undefined> {
  const tls: AgentOptions = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  const options = kubeConfig.createDispatcherOptions(kubeConfig.getCurrentCluster(), {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  });
  if (options.type === 'proxy' || options.type === 'socks') return theirs;
  void theirs?.close();
  return new Agent({ allowH2: false, connect: options.type === 'agent' ? options.connect : {} });
}
