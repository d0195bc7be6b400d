import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Waits, then forwards. */
  | { kind: 'delay'; ms: number }
  /** Answers itself with this status (and Retry-After), without forwarding. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  /** Closes the connection without any answer. */
  | { kind: 'reset' }
  /** Forwards, then sends half of the upstream body and closes the connection. */
  | { kind: 'truncate' }
  /** Never answers (until the proxy stops). */
  | { kind: 'blackhole' };

/** One request the proxy saw, and what it did with it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly fault: Fault['kind'];
}

/** Options of {@link startFaultProxy} for an HTTPS peer such as the kube-apiserver. */
export interface FaultProxyTlsOptions {
  /** Serve HTTPS with this PEM certificate and key (one a client trusts for 127.0.0.1). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** PEM CA that signed the upstream's certificate, when the upstream is https://. */
  readonly upstreamCa?: string;
  /**
   * Forward the client's `Host` header as it came, so that AWS SigV4 signatures, which cover it,
   * stay valid for moto under IAM auth (moto routes by path and credential scope, not by host).
   */
  readonly keepHost?: boolean;
}

/** A fault-injecting HTTP(S) proxy in front of one peer, on loopback. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`): use it in place of the upstream's URL. */
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: readonly SeenRequest[];
  /**
   * Sets the schedule: the next requests get `faults` in order, every later one `afterwards`
   * (default: pass). `matching` limits the schedule to requests whose path matches.
   */
  plan(faults: readonly Fault[], options?: { afterwards?: Fault; matching?: RegExp }): void;
  stop(): Promise<void>;
}

/**
 * Starts a reverse proxy in front of `upstream` (moto, the Rancher 1.x test server, or with
 * `options` the kube-apiserver: TLS terminated here and opened again to the upstream, so only
 * bearer tokens pass, not client certificates) that applies the faults a test schedules: delays,
 * resets, 429/5xx with Retry-After, cut responses and black holes. Bound to 127.0.0.1 only.
 */
export async function startFaultProxy(
  upstream: string,
  options: FaultProxyTlsOptions = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const requests: SeenRequest[] = [];
  let queue: Fault[] = [];
  let afterwards: Fault = { kind: 'pass' };
  let matching: RegExp | undefined;

  function nextFault(path: string): Fault {
    if (matching !== undefined && !matching.test(path)) return { kind: 'pass' };
    return queue.shift() ?? afterwards;
  }

  const handle: RequestListener = (incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const fault = nextFault(path);
    requests.push({ method: incoming.method ?? 'GET', path, fault: fault.kind });
    void apply(fault, incoming, outgoing);
  };
  const server =
    options.tls === undefined
      ? createServer(handle)
      : createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handle);
  const upstreamRequest = target.protocol === 'https:' ? httpsRequest : httpRequest;

  async function apply(
    fault: Fault,
    incoming: IncomingMessage,
    outgoing: ServerResponse,
  ): Promise<void> {
    switch (fault.kind) {
      case 'blackhole':
        incoming.resume();
        return;
      case 'reset':
        incoming.socket.destroy();
        return;
      case 'status':
        incoming.resume();
        outgoing.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfterSeconds === undefined
            ? {}
            : { 'retry-after': String(fault.retryAfterSeconds) }),
        });
        outgoing.end(
          fault.body ??
            JSON.stringify({
              __type: fault.status === 429 ? 'ThrottlingException' : 'ServiceUnavailableException',
              message: 'injected fault',
            }),
        );
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        forward(incoming, outgoing, false);
        return;
      default:
        forward(incoming, outgoing, fault.kind === 'truncate');
    }
  }

  function forward(incoming: IncomingMessage, outgoing: ServerResponse, truncate: boolean): void {
    const proxied = upstreamRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers:
          options.keepHost === true ? incoming.headers : { ...incoming.headers, host: target.host },
        ...(options.upstreamCa === undefined ? {} : { ca: options.upstreamCa }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          if (!truncate) return void outgoing.end(body);
          // Promise the whole body (content-length stays), send half, then hang up.
          outgoing.write(body.subarray(0, Math.floor(body.length / 2)), () =>
            outgoing.socket?.destroy(),
          );
        });
      },
    );
    proxied.on('error', () => outgoing.socket?.destroy());
    incoming.pipe(proxied);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    plan(faults, options = {}) {
      queue = [...faults];
      afterwards = options.afterwards ?? { kind: 'pass' };
      matching = options.matching;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
