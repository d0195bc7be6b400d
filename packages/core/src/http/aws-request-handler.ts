import { NodeHttpHandler } from '@smithy/node-http-handler';
import { agentFor } from './proxy-agent.ts';

/** Network limits of every AWS call. */
export interface HttpTimeouts {
  /** Time allowed to open a connection, in milliseconds. */
  connectTimeoutMs: number;
  /** Time a request may wait for the server without receiving anything, in milliseconds. */
  requestTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 };

/**
 * An AWS SDK request handler for calls to `endpoint`, with the proxy the environment names for it
 * and bounded timeouts, so no call can hang.
 */
export function createAwsRequestHandler(endpoint: string, timeouts: HttpTimeouts = DEFAULT_TIMEOUTS): NodeHttpHandler {
  const agent = agentFor(endpoint);
  return new NodeHttpHandler({
    httpAgent: agent,
    httpsAgent: agent,
    connectionTimeout: timeouts.connectTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Without this, smithy only logs a warning when requestTimeout passes and the call hangs on a
    // server that accepted the connection but never answers (found by the black-hole test).
    throwOnRequestTimeout: true,
    socketTimeout: timeouts.requestTimeoutMs,
  });
}
