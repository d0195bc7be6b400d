import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { partition } from '@aws-sdk/util-endpoints';
import type { HttpTimeouts } from '../http/http-timeouts.ts';
import type { AwsIdentity } from '../identity/aws-identity.ts';

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
  /** As whom ECR is asked; `credentials` are this identity's. */
  identity: AwsIdentity;
  /** The identity's credentials, shared by every client of the identity (one STS session). */
  credentials: AwsCredentialIdentityProvider;
  /** How many times a throttled or failed (5xx, network) call is tried, with backoff. */
  maxAttempts: number;
  timeouts: HttpTimeouts;
}

/** Builds ECR API clients, at once or asynchronously; replaced in unit tests. */
export type EcrApiFactory = (settings: EcrApiSettings) => EcrApi | Promise<EcrApi>;

/**
 * The default {@link EcrApiFactory}: the AWS SDK's ECR client (see ecr-sdk-client.ts), loaded when
 * the first client is built. A run whose targets are all still fresh builds none, and never loads
 * the client, its credential providers or its HTTP handler.
 */
export const createEcrApi: EcrApiFactory = async (settings) => (await import('./ecr-sdk-client.ts')).createSdkEcrApi(settings);

/** The URL the ECR client will call, used to choose its proxy. */
export function ecrEndpointUrl(settings: Pick<EcrApiSettings, 'region' | 'endpoint' | 'useFipsEndpoint'>): string {
  const configured = settings.endpoint ?? process.env.AWS_ENDPOINT_URL_ECR ?? process.env.AWS_ENDPOINT_URL;
  if (configured !== undefined && configured !== '') return configured;
  const service = settings.useFipsEndpoint ? 'ecr-fips' : 'api.ecr';
  return `https://${service}.${settings.region}.${partition(settings.region).dnsSuffix}`;
}
