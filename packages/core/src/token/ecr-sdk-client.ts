import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createAwsRequestHandler } from '../http/aws-request-handler.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import type { EcrApi, EcrApiSettings } from './ecr-api.ts';
import { configuredEcrEndpoint, ecrEndpointUrl } from './ecr-endpoint.ts';

/**
 * The ECR API on the AWS SDK: an `ECRClient` with the credentials of the settings' identity
 * (see identity-credentials.ts), the environment's proxy and bounded timeouts. Throttling and
 * 5xx answers are retried by the SDK's standard retry strategy (exponential backoff with jitter).
 * A custom endpoint is called as it is, whatever the FIPS and dual-stack choices: the SDK refuses
 * the two together.
 */
export function createSdkEcrApi(settings: EcrApiSettings): EcrApi {
  const endpoint = configuredEcrEndpoint(settings);
  const client = new ECRClient({
    ...sdkClientConfig(settings, ecrEndpointUrl(settings)),
    endpoint,
    useFipsEndpoint: endpoint === undefined && settings.useFipsEndpoint,
    useDualstackEndpoint: endpoint === undefined && settings.useDualstackEndpoint,
  });
  return {
    async getAuthorizationToken({ signal }) {
      // registryIds is deprecated: one token serves every registry the identity may read.
      const output = await client.send(new GetAuthorizationTokenCommand({}), {
        abortSignal: signal,
      });
      return { data: output.authorizationData ?? [], attempts: output.$metadata.attempts ?? 1 };
    },
  };
}

/**
 * The configuration every ECR client (private or public) shares: region, endpoint, the identity's credentials,
 * retries, the request handler for `url` (proxy, timeouts) and our User-Agent.
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
