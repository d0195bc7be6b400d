import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { USER_AGENT, type RequestRetry } from '@ecr-refresh/core';
import { KubernetesApiError } from '../errors.ts';
import { createHttpKubeApi } from '../http-kube-api.ts';
import type { KubeApi } from '../kube-api.ts';
import type { Authentication } from './authentication.ts';
import { connectionPoolFor, createHttpClient } from './http-client.ts';
import type { RequestPolicy } from './retries.ts';

const TOKEN = 'sha256~a-bearer-token-that-must-not-leak';

/** A request as the test API server saw it. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (request: Seen, response: ServerResponse) => void;

/** A local API server answering with `handler`; counts the connections it accepted. */
async function startApiServer(
  handler: Handler,
): Promise<{ url: string; seen: Seen[]; connections: () => number; close(): Promise<void> }> {
  const seen: Seen[] = [];
  let connections = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      handler(entry, response);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const bearer: Authentication = {
  current: async () => ({ authorization: `Bearer ${TOKEN}`, tls: { rejectUnauthorized: true } }),
  refused: () => undefined,
};

function apiAt(
  server: string,
  policy: Partial<RequestPolicy> = {},
  authentication = bearer,
): KubeApi {
  const http = createHttpClient({
    server,
    agent: connectionPoolFor({ server }),
    authentication,
    policy: { timeoutMs: 2_000, baseDelayMs: 1, ...policy },
    target: 'prod',
  });
  return createHttpKubeApi(http);
}

const json = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) =>
  response
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body));

async function failureOf(run: () => Promise<unknown>): Promise<KubernetesApiError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof KubernetesApiError, String(error));
  return error;
}

describe('k8s/transport/http-client', () => {
  let servers: Array<{ close(): Promise<void> }>;
  beforeEach(() => {
    servers = [];
  });
  afterEach(async () => Promise.all(servers.map((server) => server.close())));
  const serve = async (handler: Handler) => {
    const server = await startApiServer(handler);
    servers.push(server);
    return server;
  };

  it('sends the token, the User-Agent, the field manager and a JSON patch as what it is, under the server path prefix', async () => {
    const server = await serve((_request, response) =>
      json(response, 200, { metadata: { name: 'default' } }),
    );
    const api = apiAt(`${server.url}/k8s/clusters/c-m-abc12/`);
    await api.createSecret('team-a', { metadata: { name: 'x' } });
    await api.patchServiceAccount('team-a', 'default', [
      { op: 'add', path: '/imagePullSecrets/-', value: { name: 'x' } },
    ]);
    const [create, patch] = server.seen;
    assert.deepEqual(
      [create?.method, create?.url],
      ['POST', '/k8s/clusters/c-m-abc12/api/v1/namespaces/team-a/secrets?fieldManager=ecr-refresh'],
    );
    assert.deepEqual(JSON.parse(create?.body ?? ''), { metadata: { name: 'x' } });
    assert.deepEqual(
      [patch?.method, patch?.url, patch?.headers['content-type']],
      [
        'PATCH',
        '/k8s/clusters/c-m-abc12/api/v1/namespaces/team-a/serviceaccounts/default?fieldManager=ecr-refresh',
        'application/json-patch+json',
      ],
    );
    for (const request of server.seen) {
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.headers['user-agent'], USER_AGENT);
    }
  });

  it('keeps method, path, status and Status reason of a refused request, and no header', async () => {
    const server = await serve((_request, response) =>
      json(
        response,
        403,
        {
          kind: 'Status',
          reason: 'Forbidden',
          message: 'secrets "x" is forbidden: User "u" cannot create resource "secrets"',
          code: 403,
        },
        { 'www-authenticate': `Bearer ${TOKEN}` },
      ),
    );
    const error = await failureOf(() => apiAt(server.url).createSecret('team-a', {}));
    assert.deepEqual(
      [error.method, error.path, error.status, error.reason, error.code],
      ['POST', '/api/v1/namespaces/team-a/secrets', 403, 'Forbidden', 'ERR_K8S_API'],
    );
    assert.match(
      error.message,
      /^POST \/api\/v1\/namespaces\/team-a\/secrets: HTTP 403 Forbidden: secrets "x" is forbidden/,
    );
    assert.equal(error.retryable, false);
    assert.ok(
      !JSON.stringify({ message: error.message, cause: error.cause, stack: error.stack }).includes(
        TOKEN,
      ),
    );
  });

  it('answers undefined for a Secret, ServiceAccount or custom object that does not exist', async () => {
    const server = await serve((_request, response) =>
      json(response, 404, { kind: 'Status', reason: 'NotFound' }),
    );
    const api = apiAt(server.url);
    assert.equal(await api.readSecret('team-a', 'x'), undefined);
    assert.equal(await api.readServiceAccount('team-a', 'default'), undefined);
    assert.equal(
      await api.readCustomObject(
        { group: 'management.cattle.io', version: 'v3', plural: 'settings' },
        'server-version',
      ),
      undefined,
    );
  });

  it('marks a conflict, a 5xx and a missing answer as retryable', async () => {
    const statuses = [409, 503];
    const server = await serve((_request, response) =>
      json(response, statuses[0] ?? 500, { reason: 'Conflict' }),
    );
    for (const status of statuses) {
      statuses[0] = status;
      assert.equal(
        (await failureOf(() => apiAt(server.url, { retries: 0 }).replaceSecret('a', 'b', {})))
          .retryable,
        true,
        String(status),
      );
    }
    const closed = await serve(() => undefined);
    await closed.close();
    assert.equal(
      (await failureOf(() => apiAt(closed.url, { retries: 0 }).replaceSecret('a', 'b', {})))
        .retryable,
      true,
    );
  });

  it('names the network failure when no answer came, after every retry', async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    const retries: RequestRetry[] = [];
    const error = await failureOf(() =>
      apiAt(closed.url, { onRetry: (retry) => retries.push(retry) }).listNamespaces(),
    );
    assert.equal(
      error.message,
      'GET /api/v1/namespaces: no answer from the API server (ECONNREFUSED, after 4 attempts)',
    );
    assert.deepEqual(
      retries.map(({ method, url, attempt, reason }) => [method, url, attempt, reason]),
      [2, 3, 4].map((attempt) => ['GET', '/api/v1/namespaces', attempt, 'ECONNREFUSED']),
    );
  });

  it('fails a request the server never answers once the timeout passes, instead of hanging', async () => {
    const silent = await serve(() => undefined);
    const started = Date.now();
    const error = await failureOf(() =>
      apiAt(silent.url, { timeoutMs: 300, retries: 0 }).readSecret('team-a', 'x'),
    );
    assert.match(error.message, /no answer from the API server \(ETIMEDOUT\)$/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('retries a 503 after the Retry-After the server asked for, then returns the answer', async () => {
    const answers = [503, 429, 200];
    const server = await serve((_request, response) => {
      const status = answers.shift() ?? 500;
      json(
        response,
        status,
        { metadata: { name: 'x' } },
        status === 200 ? {} : { 'retry-after': '0' },
      );
    });
    const retries: RequestRetry[] = [];
    const secret = await apiAt(server.url, {
      baseDelayMs: 60_000,
      onRetry: (retry) => retries.push(retry),
    }).readSecret('team-a', 'x');
    assert.equal(secret?.metadata?.name, 'x');
    assert.deepEqual(
      retries.map((retry) => retry.reason),
      ['HTTP 503', 'HTTP 429'],
    );
  });

  it('does not wait for a Retry-After longer than 30 s: the answer is the failure', async () => {
    const server = await serve((_request, response) =>
      json(response, 503, { reason: 'ServiceUnavailable' }, { 'retry-after': '120' }),
    );
    assert.equal((await failureOf(() => apiAt(server.url).readSecret('team-a', 'x'))).status, 503);
    assert.equal(server.seen.length, 1);
  });

  it('retries a connection cut in the middle of the answer, and one reset before it', async () => {
    let attempts = 0;
    const server = await serve((_request, response) => {
      attempts += 1;
      if (attempts === 1) return void response.socket?.destroy();
      if (attempts === 2)
        return void response
          .writeHead(200, { 'content-length': '100' })
          .write('{"metadata":', () => response.socket?.destroy());
      json(response, 200, { metadata: { name: 'x' } });
    });
    const retries: RequestRetry[] = [];
    assert.equal(
      (
        await apiAt(server.url, { onRetry: (retry) => retries.push(retry) }).readSecret(
          'team-a',
          'x',
        )
      )?.metadata?.name,
      'x',
    );
    assert.deepEqual(
      retries.map((retry) => retry.reason),
      ['ECONNRESET', 'ECONNRESET'],
    );
  });

  it('sends every request of a run over one kept connection, also after it idled longer than the timeout', async () => {
    const server = await serve((_request, response) =>
      json(response, 200, { metadata: { name: 'x' } }),
    );
    const api = apiAt(server.url, { timeoutMs: 200 });
    for (let index = 0; index < 5; index += 1) await api.readSecret('team-a', 'x');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await api.readSecret('team-a', 'x');
    assert.equal(server.connections(), 1);
  });

  it('fails an answer whose body stops coming once the timeout passes', async () => {
    const stalled = await serve(
      (_request, response) =>
        void response.writeHead(200, { 'content-type': 'application/json' }).write('{"items":'),
    );
    const started = Date.now();
    const error = await failureOf(() =>
      apiAt(stalled.url, { timeoutMs: 300, retries: 1 }).listNamespaces(),
    );
    assert.match(error.message, /no answer from the API server \(ETIMEDOUT, after 2 attempts\)$/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('pages through a list with limit and the continue token, keeping the selector', async () => {
    const server = await serve((request, response) => {
      const next = new URL(request.url, 'http://x').searchParams.get('continue');
      if (next === null)
        return json(response, 200, {
          items: [{ metadata: { name: 'a', labels: { x: '1' } }, status: { phase: 'Active' } }],
          metadata: { continue: 'next-page' },
        });
      json(response, 200, { items: [{ metadata: { name: 'b' } }], metadata: {} });
    });
    const namespaces = await apiAt(server.url).listNamespaces('team=apps');
    assert.deepEqual(namespaces, [
      { name: 'a', labels: { x: '1' }, phase: 'Active' },
      { name: 'b', labels: {}, phase: undefined },
    ]);
    assert.deepEqual(
      server.seen.map((request) => request.url),
      [
        '/api/v1/namespaces?limit=500&labelSelector=team%3Dapps',
        '/api/v1/namespaces?limit=500&labelSelector=team%3Dapps&continue=next-page',
      ],
    );
  });

  it('reads one page of a list with its limit, selectors and continue token, answering the next token', async () => {
    const server = await serve((_request, response) =>
      json(response, 200, {
        items: [{ metadata: { name: 'x', namespace: 'team-a' } }],
        metadata: { continue: 'page-3' },
      }),
    );
    const page = await apiAt(server.url).listPage(
      {
        path: '/api/v1/secrets',
        fieldSelector: 'metadata.name=ecr',
        labelSelector: 'team=a',
        limit: 1000,
      },
      'page-2',
    );
    assert.deepEqual(page, {
      items: [{ metadata: { name: 'x', namespace: 'team-a' } }],
      continue: 'page-3',
      resourceVersion: undefined,
    });
    assert.deepEqual(
      server.seen.map((request) => request.url),
      [
        '/api/v1/secrets?limit=1000&labelSelector=team%3Da&fieldSelector=metadata.name%3Decr&continue=page-2',
      ],
    );
  });

  it('refuses a list answer that is not a list', async () => {
    const server = await serve((_request, response) => json(response, 200, { items: 'none' }));
    assert.match(
      (await failureOf(() => apiAt(server.url).listServiceAccounts('team-a'))).message,
      /GET \/api\/v1\/namespaces\/team-a\/serviceaccounts: HTTP 200 answer is not a list/,
    );
  });

  it('streams watch events split across chunks, under the path prefix, with bookmarks and selectors', async () => {
    const events = [
      { type: 'ADDED', object: { metadata: { name: 'team-b', resourceVersion: '11' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } },
    ];
    const server = await serve((request, response) => {
      if (!request.url.includes('watch=1'))
        return json(response, 200, { items: [], metadata: { resourceVersion: '10' } });
      response.writeHead(200, { 'content-type': 'application/json' });
      const text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
      response.write(text.slice(0, 25));
      setTimeout(() => response.end(text.slice(25)), 20);
    });
    const api = apiAt(`${server.url}/k8s/clusters/c-1`);
    const query = { path: '/api/v1/namespaces', labelSelector: 'team=apps' };
    const signal = new AbortController().signal;
    assert.equal(await api.listResourceVersion(query, signal), '10');
    const received = [];
    for await (const event of api.watch(query, '10', signal)) received.push(event);
    assert.deepEqual(received, events);
    const watch = new URL(server.seen[1]?.url ?? '', 'http://x');
    assert.equal(watch.pathname, '/k8s/clusters/c-1/api/v1/namespaces');
    assert.deepEqual(Object.fromEntries(watch.searchParams), {
      watch: '1',
      resourceVersion: '10',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '240',
      labelSelector: 'team=apps',
    });
    assert.equal(server.seen[1]?.headers.authorization, `Bearer ${TOKEN}`);
  });

  it('refuses a watch the server answers 410 Gone with its status, so the caller lists again', async () => {
    const server = await serve((_request, response) =>
      json(response, 410, { kind: 'Status', reason: 'Expired', code: 410 }),
    );
    const watching = async () => {
      for await (const event of apiAt(server.url).watch(
        { path: '/api/v1/namespaces' },
        '1',
        new AbortController().signal,
      ))
        assert.fail(`unexpected ${event.type}`);
    };
    const error = await failureOf(watching);
    assert.deepEqual([error.status, error.reason], [410, 'Expired']);
  });

  it('tells the authentication of a 401, so a credential plugin runs again, and names no reason in the message', async () => {
    const server = await serve((_request, response) =>
      json(response, 401, {
        kind: 'Status',
        reason: 'Unauthorized',
        message: 'Unauthorized',
        code: 401,
      }),
    );
    let refusals = 0;
    const error = await failureOf(() =>
      apiAt(server.url, {}, { ...bearer, refused: () => (refusals += 1) }).readSecret(
        'team-a',
        'x',
      ),
    );
    assert.deepEqual(
      [error.message, error.reason, refusals],
      ['GET /api/v1/namespaces/team-a/secrets/x: HTTP 401', 'Unauthorized', 1],
    );
  });

  it('fails without a request when the credentials cannot be had, naming why', async () => {
    const server = await serve((_request, response) => json(response, 200, {}));
    const broken: Authentication = {
      current: async () =>
        Promise.reject(new Error('credential plugin "rancher" exited with 1: not logged in')),
      refused: () => undefined,
    };
    const error = await failureOf(() => apiAt(server.url, {}, broken).readSecret('team-a', 'x'));
    assert.equal(
      error.message,
      'GET /api/v1/namespaces/team-a/secrets/x: no credentials for the API server (credential plugin "rancher" exited with 1: not logged in)',
    );
    assert.equal(error.retryable, false);
    assert.equal(server.seen.length, 0);
  });
});
