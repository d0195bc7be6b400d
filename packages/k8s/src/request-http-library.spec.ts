import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { createRequestHttpLibrary } from './request-http-library.ts';

describe('createRequestHttpLibrary', () => {
  let server: Server;
  let url: string;

  before(async () => {
    // An API server that accepts the request and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/namespaces`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a request the server never answers once the timeout passes, instead of hanging', async () => {
    const library = createRequestHttpLibrary({ timeoutMs: 300, retries: 0 });
    const started = Date.now();
    await assert.rejects(library.send(new RequestContext(url, HttpMethod.GET)).toPromise(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UND_ERR_HEADERS_TIMEOUT');
      return true;
    });
    assert.ok(Date.now() - started < 5_000);
  });

  it('retries a 503 after the Retry-After the server asked for, then returns the answer', async () => {
    const answers = [503, 200];
    const flaky = createServer((_request, response) => {
      const status = answers.shift() ?? 500;
      response.writeHead(status, status === 503 ? { 'retry-after': '0' } : {}).end('{}');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const library = createRequestHttpLibrary({ timeoutMs: 1_000, baseDelayMs: 1 });
      const response = await library.send(new RequestContext(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`, HttpMethod.GET)).toPromise();
      assert.equal(response.httpStatusCode, 200);
      assert.deepEqual(answers, []);
    } finally {
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});
