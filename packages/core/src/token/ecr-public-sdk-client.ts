import { ECRPUBLICClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import type { EcrApi, EcrApiSettings } from './ecr-api.ts';
import { ecrPublicEndpointUrl } from './ecr-public-api.ts';
import { sdkClientConfig } from './sdk-client-config.ts';

/**
 * The ECR Public API on the AWS SDK: an `ECRPUBLICClient` in us-east-1 with the same identity,
 * proxy, timeouts and retries as the private ECR client. ECR Public answers one
 * `authorizationData` object (no `proxyEndpoint`), returned here as a one-entry list so both APIs
 * look the same to the token source.
 */
export function createSdkEcrPublicApi(settings: EcrApiSettings): EcrApi {
  const client = new ECRPUBLICClient(sdkClientConfig(settings, ecrPublicEndpointUrl(settings)));
  return {
    async getAuthorizationToken({ signal }) {
      const output = await client.send(new GetAuthorizationTokenCommand({}), {
        abortSignal: signal,
      });
      const data = output.authorizationData === undefined ? [] : [output.authorizationData];
      return { data, attempts: output.$metadata.attempts ?? 1 };
    },
  };
}
