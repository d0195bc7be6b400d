import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createAwsRequestHandler } from '../http/aws-request-handler.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import { ecrEndpointUrl, type EcrApi, type EcrApiSettings } from './ecr-api.ts';

/**
 * The ECR API on the AWS SDK: an `ECRClient` with the credentials of the settings' identity
 * (see identity-credentials.ts), the environment's proxy and bounded timeouts. Throttling and
 * 5xx answers are retried by the SDK's standard retry strategy (exponential backoff with jitter).
 */
export function createSdkEcrApi(settings: EcrApiSettings): EcrApi {
  const client = new ECRClient({
    region: settings.region,
    endpoint: settings.endpoint,
    useFipsEndpoint: settings.useFipsEndpoint,
    useDualstackEndpoint: settings.useDualstackEndpoint,
    credentials: settings.credentials,
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: createAwsRequestHandler(ecrEndpointUrl(settings), settings.timeouts),
    // Added to the SDK's own product tokens in User-Agent and X-Amz-User-Agent, so CloudTrail names us.
    customUserAgent: USER_AGENT,
  });
  return {
    async getAuthorizationToken({ signal }) {
      // registryIds is deprecated: one token serves every registry the identity may read.
      const output = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
      return { data: output.authorizationData ?? [], attempts: output.$metadata.attempts ?? 1 };
    },
  };
}
