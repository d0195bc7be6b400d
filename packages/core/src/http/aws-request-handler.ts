import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_TIMEOUTS, type HttpTimeouts } from './http-timeouts.ts';
import { agentFor } from './proxy-agent.ts';

/**
 * An AWS SDK request handler for calls to `endpoint`, with the proxy the environment names for it
 * and bounded timeouts, so no call can hang.
 */
export function createAwsRequestHandler(
  endpoint: string,
  timeouts: HttpTimeouts = DEFAULT_TIMEOUTS,
): NodeHttpHandler {
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
