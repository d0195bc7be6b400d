import { ResponseContext, wrapHttpLibrary, type HttpLibrary, type RequestContext } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

/**
 * The generated client's HTTP layer on undici's `request()` instead of its WHATWG `fetch()`,
 * which costs this client far more CPU per request (streams, Headers objects) for the same bytes
 * on the wire — and on a small node the API server shares those cores. Responses are read whole:
 * every call the sink makes answers a small JSON object.
 */
export const requestHttpLibrary: HttpLibrary = wrapHttpLibrary({
  async send(context: RequestContext): Promise<ResponseContext> {
    const body = context.getBody();
    const response = await request(context.getUrl(), {
      method: context.getHttpMethod() as Dispatcher.HttpMethod,
      headers: context.getHeaders(),
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : String(body) }),
      ...(context.getSignal() === undefined ? {} : { signal: context.getSignal() }),
      ...(context.getDispatcher() === undefined ? {} : { dispatcher: context.getDispatcher() }),
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return new ResponseContext(response.statusCode, headers, {
      text: async () => bytes.toString('utf8'),
      binary: async () => bytes,
      stream: () => null,
    });
  },
});
