import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { HttpTimeouts } from '../http/http-timeouts.ts';
import type { EcrEndpointSettings } from './ecr-endpoint.ts';
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

/** Everything that decides which ECR endpoint is called (see `ecr-endpoint.ts`), and as whom. */
export interface EcrApiSettings extends EcrEndpointSettings {
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
