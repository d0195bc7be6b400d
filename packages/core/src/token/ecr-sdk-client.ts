import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { partition } from '@aws-sdk/util-endpoints';
import { createAwsRequestHandler } from '../http/aws-request-handler.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import type { EcrApi, EcrApiSettings } from './ecr-api.ts';
import { configuredEcrEndpoint, ecrEndpointUrl } from './ecr-endpoint.ts';

/**
 * The ECR API on the AWS SDK: an `ECRClient` on the SDK's default credential chain (env,
 * profile, SSO, web identity/IRSA, container, IMDS), optionally assuming a role, with the
 * environment's proxy and bounded timeouts. Throttling and 5xx answers are retried by the SDK's
 * standard retry strategy (exponential backoff with jitter). A custom endpoint is called as it is,
 * whatever the FIPS and dual-stack choices: the SDK refuses the two together.
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
      const output = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
      return { data: output.authorizationData ?? [], attempts: output.$metadata.attempts ?? 1 };
    },
  };
}

/**
 * The configuration every ECR client (private or public) shares: region, endpoint, identity,
 * retries, the request handler for `url` (proxy, timeouts) and our User-Agent.
 */
export function sdkClientConfig(settings: EcrApiSettings, url: string) {
  return {
    region: settings.region,
    endpoint: settings.endpoint,
    credentials: resolveCredentials(settings),
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: createAwsRequestHandler(url, settings.timeouts),
    // Added to the SDK's own product tokens in User-Agent and X-Amz-User-Agent, so CloudTrail names us.
    customUserAgent: USER_AGENT,
  };
}

function resolveCredentials(settings: EcrApiSettings): AwsCredentialIdentityProvider {
  const stsConfig = {
    region: settings.region,
    maxAttempts: settings.maxAttempts,
    requestHandler: createAwsRequestHandler(stsEndpointUrl(settings.region), settings.timeouts),
    customUserAgent: USER_AGENT,
  };
  const base = settings.credentials ?? fromNodeProviderChain({ clientConfig: stsConfig });
  if (settings.roleArn === undefined) return base;
  return fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: settings.roleArn,
      ExternalId: settings.externalId,
      RoleSessionName: settings.roleSessionName ?? 'ecr-refresh',
    },
    clientConfig: stsConfig,
  });
}

function stsEndpointUrl(region: string): string {
  // An empty variable counts as unset, as configuredEcrEndpoint does.
  return process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL || `https://sts.${region}.${partition(region).dnsSuffix}`;
}
