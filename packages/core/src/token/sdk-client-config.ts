import { createAwsRequestHandler } from '../http/aws-request-handler.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import type { EcrApiSettings } from './ecr-api.ts';

/**
 * The configuration every ECR client (private or public) shares: region, endpoint, the identity's
 * credentials, retries, the request handler for `url` (proxy, timeouts) and our User-Agent. In a
 * file of its own so that each client's module loads only its own SDK package: a run serving
 * only ECR Public never loads `@aws-sdk/client-ecr`, nor a private-only run the public client.
 */
export function sdkClientConfig(settings: EcrApiSettings, url: string) {
  return {
    region: settings.region,
    endpoint: settings.endpoint,
    credentials: settings.credentials,
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: createAwsRequestHandler(url, settings.timeouts),
    // Added to the SDK's own product tokens in User-Agent and X-Amz-User-Agent, so CloudTrail names us.
    customUserAgent: USER_AGENT,
  };
}
