import { createServer, type Socket } from 'node:net';

/** A loopback TCP server that counts every connection made to it and answers none usefully. */
export interface ConnectionRecorder {
  /** `127.0.0.1:<port>`: put a scheme in front (http:// or https://) to make it any endpoint. */
  readonly hostPort: string;
  /** Connections accepted so far: any request, or any TLS handshake, to this endpoint counts. */
  readonly connections: number;
  stop(): Promise<void>;
}

/**
 * Starts a server that proves "no request was made": it counts connections below HTTP and TLS, so
 * a client that only started a TLS handshake is counted as well. Each connection gets an HTTP 503
 * and is closed. Bound to 127.0.0.1 only.
 */
export async function startConnectionRecorder(): Promise<ConnectionRecorder> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    hostPort: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
