import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: a status and JSON (or text) body, late by `delayMs`, or a dropped connection. */
export type ScriptedReply =
  | { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> }
  | { reset: true };

/** A request other than GET, with the JSON body it carried, as the server received it. */
export interface ReceivedWrite {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * An HTTP server on loopback that answers each `METHOD /path?query` with the replies scripted
 * for it, in order (the last one repeats), and records every write. Used instead of nock for
 * the Rancher sink: nock 15 with got 16 drops every request with a body after the first.
 */
export interface ScriptedServer {
  readonly origin: string;
  readonly writes: ReceivedWrite[];
  /** Requests that had no script: a test that leaves any has made a call it did not expect. */
  readonly unexpected: string[];
  reply(route: string, ...replies: ScriptedReply[]): void;
  /** Routes scripted but never requested. */
  unused(): string[];
  close(): Promise<void>;
}

/** Starts a {@link ScriptedServer} on a free loopback port. */
export async function startScriptedServer(): Promise<ScriptedServer> {
  const scripts = new Map<string, { replies: ScriptedReply[]; used: boolean }>();
  const writes: ReceivedWrite[] = [];
  const unexpected: string[] = [];
  const server = createServer((request, response) => void answer(request, response));

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const route = `${request.method} ${request.url}`;
    if (request.method !== 'GET')
      writes.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      });
    const script = scripts.get(route);
    if (script === undefined) {
      unexpected.push(route);
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', status: 404, code: 'NotFound' }));
      return;
    }
    script.used = true;
    const reply = (script.replies.length > 1 ? script.replies.shift() : script.replies[0]) ?? {
      status: 500,
    };
    if ('reset' in reply) {
      request.socket.destroy();
      return;
    }
    if (reply.delayMs !== undefined)
      await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    if (!response.destroyed)
      response
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    writes,
    unexpected,
    reply: (route, ...replies) => void scripts.set(route, { replies, used: false }),
    unused: () => [...scripts].filter(([, script]) => !script.used).map(([route]) => route),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
