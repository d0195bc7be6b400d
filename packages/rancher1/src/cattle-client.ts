import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import {
  agentFor,
  describeSchemaIssues,
  redactUrl,
  retryDelayMs,
  USER_AGENT,
  type RequestRetry,
} from '@ecr-refresh/core';
import got, { RequestError, type Got, type Method } from 'got';
import type { z } from 'zod';
import { CattleCollection } from './cattle-resources.ts';
import { RancherResponseError } from './errors.ts';
import { toRancherError } from './to-rancher-error.ts';

/** How {@link createCattleClient} connects. */
export interface CattleClientOptions {
  /** `https://host/v2-beta`: every URL requested must be under its origin. */
  readonly apiRoot: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly ca?: string | undefined;
  readonly timeoutMs: number;
  readonly retry: { readonly limit: number; readonly baseDelayMs: number };
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry, so an operator sees a flaky Rancher even when the run succeeds. */
  readonly onRetry?: ((retry: RequestRetry) => void) | undefined;
}

/**
 * A small Cattle API client: JSON in and out, every answer checked against a schema, errors
 * mapped by {@link toRancherError}. Each call names the environment it is for, so errors can.
 */
export interface CattleClient {
  /** Every item of a collection, following `pagination.next` to the last page. */
  list<S extends z.ZodType>(
    url: string,
    schema: S,
    environment: string,
  ): Promise<Array<z.output<S>>>;
  send<S extends z.ZodType>(
    method: 'POST' | 'PUT',
    url: string,
    body: object | undefined,
    schema: S,
    environment: string,
  ): Promise<z.output<S>>;
  /** Requests sent so far, retries included. */
  readonly requests: number;
  /** Closes kept-alive connections; the client must not be used afterwards. */
  close(): void;
}

// Pages are followed at most this far: a server whose `next` never ends must not loop us forever.
const MAX_PAGES = 1_000;

/** Creates a {@link CattleClient}; no request is made until a method is called. */
export function createCattleClient(options: CattleClientOptions): CattleClient {
  const origin = new URL(options.apiRoot).origin;
  const agent = agentFor(options.apiRoot);
  let requests = 0;
  const http: Got = got.extend({
    headers: {
      accept: 'application/json',
      // Names us in Rancher's access logs (issue 15); got would otherwise send its own.
      'user-agent': USER_AGENT,
      authorization: `Basic ${Buffer.from(`${options.accessKey}:${options.secretKey}`).toString('base64')}`,
    },
    agent: { http: agent as HttpAgent, https: agent as HttpsAgent },
    https: {
      rejectUnauthorized: true,
      ...(options.ca === undefined ? {} : { certificateAuthority: options.ca }),
    },
    timeout: { request: options.timeoutMs },
    followRedirect: false,
    retry: {
      limit: options.retry.limit,
      methods: ['GET', 'PUT', 'POST'],
      // Core's retry rule decides what is retried and how long to wait, not got's own lists.
      enforceRetryRules: false,
      calculateDelay: ({ attemptCount, error, retryAfter }) => {
        if (attemptCount > options.retry.limit) return 0;
        const delay = retryDelayMs(
          { status: error.response?.statusCode, errorCode: error.code, retryAfterMs: retryAfter },
          attemptCount,
          options.retry.baseDelayMs,
        );
        // Got treats 0 as "do not retry": a zero delay still needs 1 ms.
        return delay === undefined ? 0 : Math.max(1, delay);
      },
    },
    hooks: {
      beforeRequest: [
        () => {
          requests += 1;
        },
      ],
      beforeRetry: [
        (error, retryCount) => {
          const status = error.response?.statusCode;
          const url = error.options.url === undefined ? '' : redactUrl(String(error.options.url));
          options.onRetry?.({
            method: String(error.options.method),
            url,
            attempt: retryCount + 1,
            reason: status === undefined ? (error.code ?? error.name) : `HTTP ${status}`,
          });
        },
      ],
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });

  async function call<S extends z.ZodType>(
    method: Method,
    url: string,
    body: object | undefined,
    schema: S,
    environment: string,
  ): Promise<z.output<S>> {
    const target = sameOrigin(url, origin);
    let response: { statusCode: number; headers: Record<string, unknown>; body: string };
    try {
      response = await http(target, { method, ...(body === undefined ? {} : { json: body }) });
    } catch (error) {
      const attempts = error instanceof RequestError ? (error.request?.retryCount ?? 0) + 1 : 1;
      throw toRancherError(error, {
        method: String(method),
        url: target,
        accessKey: options.accessKey,
        environment,
        attempts,
      });
    }
    if (response.statusCode >= 300) {
      // Not followed: a redirect may leave our origin (with the key) or turn a PUT into a GET.
      throw new RancherResponseError(
        `${String(method)} ${target}: Rancher redirects to ${String(response.headers.location)}; give that URL instead (--url, CATTLE_URL)`,
      );
    }
    return check(schema, parse(response.body, method, target), `${String(method)} ${target}`);
  }

  return {
    send: (method, url, body, schema, environment) => call(method, url, body, schema, environment),
    async list(url, schema, environment) {
      const items: Array<z.output<typeof schema>> = [];
      let next: string | undefined = url;
      for (let page = 0; next !== undefined; page += 1) {
        if (page === MAX_PAGES)
          throw new RancherResponseError(
            `GET ${url}: more than ${MAX_PAGES} pages; pagination.next never ends`,
          );
        const collection: z.output<typeof CattleCollection> = await call(
          'GET',
          next,
          undefined,
          CattleCollection,
          environment,
        );
        items.push(...collection.data.map((item) => check(schema, item, `GET ${next}`)));
        next = collection.pagination?.next ?? undefined;
      }
      return items;
    },
    get requests() {
      return requests;
    },
    close: () => agent.destroy(),
  };
}

/**
 * Links Cattle builds (`pagination.next`) use the host and scheme Rancher believes it has, which
 * behind a TLS-terminating proxy is not the one we reach it by; the credentials must never go to
 * another host either. So only the path and query of a link are kept, on our origin.
 */
function sameOrigin(url: string, origin: string): string {
  const parsed = new URL(url, origin);
  return `${origin}${parsed.pathname}${parsed.search}`;
}

function parse(text: string, method: Method, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RancherResponseError(
      `${String(method)} ${url}: Rancher answered with something that is not JSON (is the URL the Cattle API?)`,
    );
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // The first issue is enough to say the answer is not Cattle's; the rest would only be longer.
  const [first] = describeSchemaIssues(parsed.error.issues.slice(0, 1), { root: 'body' });
  throw new RancherResponseError(
    `${what}: unexpected answer from Rancher (${first ?? 'body: invalid'})`,
  );
}
