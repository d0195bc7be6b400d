import {
  request as httpRequest,
  type Agent,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { agentFor, USER_AGENT } from '@ecr-refresh/core';
import { apiErrorOfAnswer, apiErrorOfFailure } from './to-kubernetes-api-error.ts';
import { KubernetesApiError } from '../errors.ts';
import type { Authentication, RequestCredentials } from './authentication.ts';
import type { KubeCluster } from './kubeconfig.ts';
import { withRetries, type RequestPolicy } from './retries.ts';

/** Query parameters; undefined ones are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a request sends besides its method and path. */
export interface RequestOptions {
  readonly query?: Query | undefined;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The body's media type; default `application/json` (a JSON patch says `application/json-patch+json`). */
  readonly contentType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The HTTP requests of one cluster: JSON in, JSON out, each failure a {@link KubernetesApiError}
 * with method, path, status and Status reason, and never a header or a token.
 */
export interface KubeHttpClient {
  /** The context, as errors name it. */
  readonly target: string;
  /** The answer's JSON (undefined for an empty body); retried as `policy` says. */
  request(method: string, path: string, options?: RequestOptions): Promise<unknown>;
  /** A GET whose answer is read as it comes (a watch), its status checked; not retried: a watch's caller reconnects. */
  stream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage>;
}

/** Where the requests go and what they carry. */
export interface HttpClientSettings {
  /** The cluster's `server`, path included (Rancher's `…/k8s/clusters/<id>`): every path is appended to it. */
  readonly server: string;
  /** The connection pool, shared by every client of one context: see {@link connectionPoolFor}. */
  readonly agent: Agent;
  readonly authentication: Authentication;
  readonly policy: RequestPolicy;
  /** The context, as errors name it. */
  readonly target: string;
}

/** An answer read whole. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

// The server ends each watch after 240 s (watch-stream.ts); no byte for longer than this, not even
// a bookmark, means the connection is dead.
const STREAM_IDLE_LIMIT_MS = 300_000;

/**
 * The keep-alive connection pool of a cluster: through its kubeconfig `proxy-url`, else through
 * the proxy HTTPS_PROXY/NO_PROXY name for its server (core's `agentFor`), else direct. TLS
 * settings travel with each request, and Node keeps one pool per distinct set of them, so a
 * rotated client certificate gets new connections and an unchanged one reuses them.
 */
export function connectionPoolFor(cluster: Pick<KubeCluster, 'server' | 'proxyUrl'>): Agent {
  if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== '')
    return new HttpsProxyAgent(cluster.proxyUrl, { keepAlive: true });
  return agentFor(cluster.server, { keepAlive: true });
}

/**
 * A {@link KubeHttpClient} on `node:http(s)`. An attempt that gets no answer's headers, or no
 * next chunk of its body, within `policy.timeoutMs` fails with ETIMEDOUT; 429, 5xx and failed
 * connections are retried (see `retries.ts`). Every request says `User-Agent: ecr-refresh/<version>`.
 */
export function createHttpClient({
  server,
  agent,
  authentication,
  policy,
  target,
}: HttpClientSettings): KubeHttpClient {
  const base = server.replace(/\/+$/, '');
  const credentialsFor = async (method: string, path: string): Promise<RequestCredentials> => {
    try {
      return await authentication.current();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new KubernetesApiError(
        target,
        { method, path },
        `${method} ${path}: no credentials for the API server (${detail})`,
        { retryable: false, cause: error },
      );
    }
  };
  const refused = (answer: Answer, method: string, path: string): KubernetesApiError => {
    if (answer.status === 401) authentication.refused();
    return apiErrorOfAnswer(answer.status, answer.body.toString('utf8'), method, path, target);
  };

  return {
    target,
    async request(method, path, { query, body, contentType = 'application/json', signal } = {}) {
      const outgoing = {
        method,
        url: urlOf(base, path, query),
        agent,
        credentials: await credentialsFor(method, path),
        timeoutMs: policy.timeoutMs,
        signal,
      };
      const text = body === undefined ? undefined : JSON.stringify(body);
      let answer: Answer;
      try {
        answer = await withRetries(policy, { method, path, signal }, () =>
          exchange(outgoing, text, contentType),
        );
      } catch (error) {
        throw apiErrorOfFailure(error, method, path, target);
      }
      if (answer.status < 200 || answer.status >= 300) throw refused(answer, method, path);
      if (answer.body.length === 0) return undefined;
      try {
        return JSON.parse(answer.body.toString('utf8')) as unknown;
      } catch {
        throw new KubernetesApiError(
          target,
          { method, path, status: answer.status },
          `${method} ${path}: HTTP ${answer.status} answer is not JSON`,
        );
      }
    },
    async stream(path, query, signal) {
      const outgoing = {
        method: 'GET',
        url: urlOf(base, path, query),
        agent,
        credentials: await credentialsFor('GET', path),
        timeoutMs: policy.timeoutMs,
        signal,
      };
      const response = await openStream(outgoing).catch((error: unknown) => {
        throw apiErrorOfFailure(error, 'GET', path, target);
      });
      if (response.statusCode === 200) return response;
      throw refused(
        {
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(await response.toArray()),
        },
        'GET',
        path,
      );
    },
  };
}

/** One attempt of a request: where it goes, what it carries, how long it may wait. */
interface Outgoing {
  readonly method: string;
  readonly url: string;
  readonly agent: Agent;
  readonly credentials: RequestCredentials;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

function urlOf(base: string, path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return `${base}${path}${text === '' ? '' : `?${text}`}`;
}

/** Sends `outgoing`; fails it with ETIMEDOUT when its answer's headers take longer than its timeout. */
function send(
  outgoing: Outgoing,
  headers: Record<string, string>,
  onResponse: (response: IncomingMessage) => void,
  onError: (error: unknown) => void,
): ClientRequest {
  const { method, url, agent, credentials, timeoutMs, signal } = outgoing;
  const request = (url.startsWith('http:') ? httpRequest : httpsRequest)(
    url,
    {
      method,
      agent,
      headers: {
        'User-Agent': USER_AGENT,
        Accept: 'application/json',
        ...(credentials.authorization === undefined
          ? {}
          : { Authorization: credentials.authorization }),
        ...headers,
      },
      ...definedOnly(credentials.tls),
      ...(signal === undefined ? {} : { signal }),
    },
    onResponse,
  );
  // Own timers, not request.setTimeout(): that one stays on a kept socket and kills it while idle in the pool.
  const waiting = setTimeout(() => request.destroy(silence()), timeoutMs);
  request.once('response', () => clearTimeout(waiting));
  request.once('close', () => clearTimeout(waiting));
  request.on('error', onError);
  return request;
}

/** One attempt, its answer read whole; the body must keep coming, each chunk within the timeout. */
function exchange(
  outgoing: Outgoing,
  body: string | undefined,
  contentType: string,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const headers: Record<string, string> =
      body === undefined
        ? {}
        : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) };
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      const idle = setTimeout(() => response.destroy(silence()), outgoing.timeoutMs);
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        idle.refresh();
      });
      response.once('close', () => clearTimeout(idle));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
      // A connection cut mid-body: ECONNRESET ("aborted"), retried like a reset.
      response.on('error', reject);
    };
    send(outgoing, headers, onResponse, reject).end(body);
  });
}

/**
 * A GET whose answer is handed over as soon as its headers arrive (a watch). From then on only a
 * connection silent for longer than a watch lasts is dead; the socket's timeout is given back when
 * the answer closes, so a kept socket does not carry it into the pool.
 */
function openStream(outgoing: Outgoing): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const { socket } = response;
      const idle = () => response.destroy(silence());
      socket.setTimeout(STREAM_IDLE_LIMIT_MS);
      socket.once('timeout', idle);
      response.once('close', () => {
        socket.setTimeout(0);
        socket.removeListener('timeout', idle);
      });
      resolve(response);
    };
    send(outgoing, {}, onResponse, reject).end();
  });
}

/** The error of an API server that sent nothing for too long: retried like a failed connection. */
function silence(): Error {
  return Object.assign(new Error('the API server went silent'), { code: 'ETIMEDOUT' });
}

function definedOnly<Options extends object>(options: Options): Partial<Options> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<Options>;
}
