import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the health endpoints report; updated by the refresh service. */
export interface HealthState {
  /** The first refresh succeeded and the credentials in place will not expire before the next attempt. */
  ready: boolean;
  /** Why not ready, for the /readyz body. */
  reason: string;
}

/** A running health and metrics server. */
export interface HealthServer {
  /** `host:port` actually bound (the port may have been 0). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Serves `/healthz` (the process answers), `/readyz` (200 once `state.ready`, else 503 with the
 * reason) and `/metrics` (Prometheus text format) on `host:port`. Nothing else is served, and no
 * response carries a secret.
 */
export async function startHealthServer(
  listen: { host: string; port: number },
  state: HealthState,
  metrics: Registry,
): Promise<HealthServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(response, 405, 'method not allowed\n');
    if (path === '/healthz') return send(response, 200, 'ok\n');
    if (path === '/readyz')
      return send(
        response,
        state.ready ? 200 : 503,
        state.ready ? 'ready\n' : `not ready: ${state.reason}\n`,
      );
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => send(response, 200, text, metrics.contentType),
        () => send(response, 500, 'metrics unavailable\n'),
      );
      return;
    }
    send(response, 404, 'not found\n');
  });
  await listenOn(server, listen);
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(
  response: import('node:http').ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function listenOn(server: Server, { host, port }: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
