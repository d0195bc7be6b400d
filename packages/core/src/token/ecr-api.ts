import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { partition } from '@aws-sdk/util-endpoints';
import { createAwsRequestHandler, type HttpTimeouts } from '../http/aws-request-handler.ts';

/** The one ECR call ecr-refresh makes, behind a seam that tests replace with a fake. */
export interface EcrApi {
  getAuthorizationToken(options: { signal?: AbortSignal }): Promise<EcrAuthorizationAnswer>;
}

/** ECR's answer: its `authorizationData`, and how many attempts (retries included) it took. */
export interface EcrAuthorizationAnswer {
  readonly data: EcrAuthorizationData[];
  readonly attempts: number;
}

/** One `authorizationData` entry as ECR returns it, before any check. */
export interface EcrAuthorizationData {
  authorizationToken?: string | undefined;
  expiresAt?: Date | undefined;
  proxyEndpoint?: string | undefined;
}

/** Everything that decides which ECR endpoint is called, and as whom. */
export interface EcrApiSettings {
  region: string;
  /** A custom ECR API endpoint (VPC endpoint, tests). */
  endpoint?: string | undefined;
  useFipsEndpoint: boolean;
  useDualstackEndpoint: boolean;
  /** A role to assume with STS before calling ECR. */
  roleArn?: string | undefined;
  externalId?: string | undefined;
  roleSessionName?: string | undefined;
  /** Credentials to use instead of the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider | undefined;
  /** How many times a throttled or failed (5xx, network) call is tried, with backoff. */
  maxAttempts: number;
  timeouts: HttpTimeouts;
}

/** Builds ECR API clients; replaced in unit tests. */
export type EcrApiFactory = (settings: EcrApiSettings) => EcrApi;

/**
 * The default {@link EcrApiFactory}: an `ECRClient` on the SDK's default credential chain (env,
 * profile, SSO, web identity/IRSA, container, IMDS), optionally assuming a role, with the
 * environment's proxy and bounded timeouts. Throttling and 5xx answers are retried by the SDK's
 * standard retry strategy (exponential backoff with jitter).
 */
export const createEcrApi: EcrApiFactory = (settings) => {
  const client = new ECRClient({
    region: settings.region,
    endpoint: settings.endpoint,
    useFipsEndpoint: settings.useFipsEndpoint,
    useDualstackEndpoint: settings.useDualstackEndpoint,
    credentials: resolveCredentials(settings),
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: createAwsRequestHandler(ecrEndpointUrl(settings), settings.timeouts),
  });
  return {
    async getAuthorizationToken({ signal }) {
      // registryIds is deprecated: one token serves every registry the identity may read.
      const output = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
      return { data: output.authorizationData ?? [], attempts: output.$metadata.attempts ?? 1 };
    },
  };
};

function resolveCredentials(settings: EcrApiSettings): AwsCredentialIdentityProvider {
  const stsConfig = {
    region: settings.region,
    maxAttempts: settings.maxAttempts,
    requestHandler: createAwsRequestHandler(stsEndpointUrl(settings.region), settings.timeouts),
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

/** The URL the ECR client will call, used to choose its proxy. */
export function ecrEndpointUrl(settings: Pick<EcrApiSettings, 'region' | 'endpoint' | 'useFipsEndpoint'>): string {
  const configured = settings.endpoint ?? process.env.AWS_ENDPOINT_URL_ECR ?? process.env.AWS_ENDPOINT_URL;
  if (configured !== undefined && configured !== '') return configured;
  const service = settings.useFipsEndpoint ? 'ecr-fips' : 'api.ecr';
  return `https://${service}.${settings.region}.${partition(settings.region).dnsSuffix}`;
}

function stsEndpointUrl(region: string): string {
  return process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL ?? `https://sts.${region}.${partition(region).dnsSuffix}`;
}
