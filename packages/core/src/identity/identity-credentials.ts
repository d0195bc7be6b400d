import type { AwsCredentialIdentityProvider } from '@smithy/types';
import {
  memoizeIdentityProvider,
  isIdentityExpired,
  doesIdentityRequireRefresh,
} from '@smithy/core';
import {
  fromIni,
  fromNodeProviderChain,
  fromTemporaryCredentials,
} from '@aws-sdk/credential-providers';
import { partition } from '@aws-sdk/util-endpoints';
import { AwsAuthError } from '../errors.ts';
import { createAwsRequestHandler } from '../http/aws-request-handler.ts';
import type { HttpTimeouts } from '../http/http-timeouts.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import { fromAwsError } from '../token/aws-error.ts';
import { describeIdentity, type AwsIdentity } from './aws-identity.ts';

/** What {@link createIdentityCredentials} needs besides the identity. */
export interface IdentityCredentialsSettings {
  readonly identity: AwsIdentity;
  /** The region whose STS endpoint is asked; any region of the partition the credentials serve. */
  readonly region: string;
  /** Replaces the SDK's default chain as the source of an identity without a profile. */
  readonly base?: AwsCredentialIdentityProvider | undefined;
  readonly maxAttempts: number;
  readonly timeouts: HttpTimeouts;
}

/** Builds the credentials of an identity; replaced in unit tests. */
export type IdentityCredentialsFactory = (
  settings: IdentityCredentialsSettings,
) => AwsCredentialIdentityProvider | Promise<AwsCredentialIdentityProvider>;

/**
 * The credentials of one identity with the SDK's own providers: `fromIni` for a profile (which
 * itself follows `role_arn`, `source_profile`, SSO and `credential_process`), else the default
 * chain (env, SSO, web identity/IRSA, EKS Pod Identity and ECS container credentials, IMDS), then
 * `fromTemporaryCredentials` (STS AssumeRole) for a role. Memoized with the SDK's identity cache:
 * every ECR client of the identity shares one STS session, renewed 5 minutes before it expires.
 */
export function createIdentityCredentials(
  settings: IdentityCredentialsSettings,
): AwsCredentialIdentityProvider {
  const { identity, region } = settings;
  const clientConfig = {
    region,
    maxAttempts: settings.maxAttempts,
    requestHandler: createAwsRequestHandler(stsEndpointUrl(region), settings.timeouts),
    customUserAgent: USER_AGENT,
  };
  const base =
    identity.profile !== undefined
      ? fromIni({ profile: identity.profile, clientConfig })
      : (settings.base ?? fromNodeProviderChain({ clientConfig }));
  if (identity.roleArn === undefined) return shared(base);
  const assumeRole = fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: identity.roleArn,
      ExternalId: identity.externalId,
      RoleSessionName: identity.roleSessionName ?? 'ecr-refresh',
    },
    clientConfig,
  });
  const where = `STS in ${region} (${stsEndpointUrl(region)})`;
  const labelled: AwsCredentialIdentityProvider = (properties) =>
    assumeRole(properties).catch((error: unknown) => {
      throw assumeRoleError(error, where, identity);
    });
  return shared(labelled);
}

/** One provider for every client: the SDK's identity cache, renewing 5 minutes before expiry. */
function shared(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  const memoized = memoizeIdentityProvider(provider, isIdentityExpired, doesIdentityRequireRefresh);
  // Undefined only for an undefined provider.
  return memoized as AwsCredentialIdentityProvider;
}

/** The STS endpoint of `region`, or the one the environment names (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL). */
export function stsEndpointUrl(region: string): string {
  // An empty variable counts as unset, as ecrEndpointUrl does.
  const configured = process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL;
  return configured || `https://sts.${region}.${partition(region).dnsSuffix}`;
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

/** A refused AssumeRole names the role and what its trust policy must allow; other failures map as ECR's do. */
function assumeRoleError(error: unknown, where: string, identity: AwsIdentity): Error {
  const name = (error as { name?: string } | null)?.name ?? '';
  const as = describeIdentity({ ...identity, roleArn: undefined });
  if (DENIED.has(name)) {
    const externalId =
      identity.externalId === undefined ? '' : ' with the configured external id (sts:ExternalId)';
    const needs = `the caller needs sts:AssumeRole on the role, and the role's trust policy must allow it${externalId}`;
    return new AwsAuthError(
      `${where} denied ${as} assuming ${identity.roleArn}: ${name}; ${needs}`,
      { cause: error },
    );
  }
  return fromAwsError(error, where, `${as} assuming ${identity.roleArn}`);
}
