import { ResponseContext, wrapHttpLibrary, type HttpLibrary, type RequestContext } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

/** How the API requests of one cluster behave when the server is slow or failing. */
export interface RequestPolicy {
  /** Milliseconds a request may wait for the answer's headers, and between two chunks of its body. */
  readonly timeoutMs: number;
  /** Retries of a request answered 429, 500, 502, 503 or 504, or whose connection failed or timed out. */
  readonly retries?: number | undefined;
  /** The first retry's delay; each next one doubles (a `Retry-After` from the server wins). */
  readonly baseDelayMs?: number | undefined;
  /** Called before each retry, so an operator sees a flaky API server even when the run succeeds; must not throw. */
  readonly onRetry?: ((retry: ApiRetry) => void) | undefined;
}

/** One retry of an API request: which, the attempt about to be made, and why the last one failed. */
export interface ApiRetry {
  readonly method: string;
  /** The request's path (no query: it carries nothing an operator needs here). */
  readonly path: string;
  /** 2 for the first retry. */
  readonly attempt: number;
  /** An HTTP status (`HTTP 503`) or a connection error code (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`). */
  readonly reason: string;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const DEFAULT_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 500;
// A Retry-After longer than this is not waited for: the request fails and the next run tries again.
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * The generated client's HTTP layer on undici's `request()` instead of its WHATWG `fetch()`,
 * which costs this client far more CPU per request (streams, Headers objects) for the same bytes
 * on the wire — and on a small node the API server shares those cores. Responses are read whole:
 * every call the sink makes answers a small JSON object. An API server that does not answer, or
 * stops sending, within `timeoutMs` fails the attempt (undici's own default is 5 minutes).
 *
 * Throttling, 5xx answers and broken connections are retried with backoff. Retrying a write is
 * safe here because every write the sink makes is guarded: a create that did land comes back as
 * 409 AlreadyExists, a replace or patch that did land as a conflict on `resourceVersion`, and the
 * sink handles both by reading again.
 */
export function createRequestHttpLibrary(policy: RequestPolicy): HttpLibrary {
  return wrapHttpLibrary({ send: (context) => sendWithRetries(context, policy) });
}

async function sendWithRetries(context: RequestContext, policy: RequestPolicy): Promise<ResponseContext> {
  const retries = policy.retries ?? DEFAULT_RETRIES;
  for (let attempt = 1; ; attempt += 1) {
    const delayMs = policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    const backoff = delayMs * 2 ** (attempt - 1);
    let outcome: { response: ResponseContext } | { error: unknown };
    try {
      outcome = { response: await send(context, policy.timeoutMs) };
    } catch (error) {
      outcome = { error };
    }
    const last = attempt > retries || context.getSignal()?.aborted === true;
    if ('response' in outcome) {
      const { response } = outcome;
      if (last || !RETRY_STATUSES.has(response.httpStatusCode)) return response;
      const retryAfter = retryAfterMs(response.headers['retry-after']);
      if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return response;
      policy.onRetry?.(retryOf(context, attempt, `HTTP ${response.httpStatusCode}`));
      await sleep(retryAfter ?? backoff);
      continue;
    }
    if (last || !isConnectionFailure(outcome.error)) throw withAttempts(outcome.error, attempt);
    policy.onRetry?.(retryOf(context, attempt, String((outcome.error as { code: string }).code)));
    await sleep(backoff);
  }
}

async function send(context: RequestContext, timeoutMs: number): Promise<ResponseContext> {
  const body = context.getBody();
  const response = await request(context.getUrl(), {
    method: context.getHttpMethod() as Dispatcher.HttpMethod,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
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
}

// undici's codes for a connection that failed, was reset or cut, or went silent.
const CONNECTION_FAILURES = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_REQ_CONTENT_LENGTH_MISMATCH|UND_ERR_RES_CONTENT_LENGTH_MISMATCH)$/;

function retryOf(context: RequestContext, attempt: number, reason: string): ApiRetry {
  return { method: context.getHttpMethod(), path: new URL(context.getUrl()).pathname, attempt: attempt + 1, reason };
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_FAILURES.test(code);
}

/** The error, its message saying how often it was tried; the code (what callers report) is kept. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (attempts === 1 || !(error instanceof Error)) return error;
  error.message = `${error.message} (after ${attempts} attempts)`;
  return error;
}

function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
