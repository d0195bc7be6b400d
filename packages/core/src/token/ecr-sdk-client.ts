import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { EcrApi, EcrApiSettings } from './ecr-api.ts';
import { configuredEcrEndpoint, ecrEndpointUrl } from './ecr-endpoint.ts';
import { sdkClientConfig } from './sdk-client-config.ts';

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
