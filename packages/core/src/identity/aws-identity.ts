import { partition } from '@aws-sdk/util-endpoints';
import { quoteInput } from '../text/quote-input.ts';

/**
 * As whom ECR is asked for a token: the SDK's default chain (env, profile, SSO, web identity/IRSA,
 * EKS Pod Identity, ECS, IMDS), or a named `profile`, optionally followed by assuming `roleArn`
 * with STS. Registries of one run may each have their own; see `RegistryTarget.identity`.
 */
export interface AwsIdentity {
  /** A role to assume with STS, with the profile's (or the default chain's) credentials. */
  readonly roleArn?: string | undefined;
  /** The external id the role's trust policy requires (`sts:ExternalId`). */
  readonly externalId?: string | undefined;
  /** The session name CloudTrail shows for the assumed role (default `ecr-refresh`). */
  readonly roleSessionName?: string | undefined;
  /** A profile of the shared AWS config and credentials files, instead of the default chain. */
  readonly profile?: string | undefined;
}

/** The default chain's identity: no profile, no role. */
export const DEFAULT_IDENTITY: AwsIdentity = {};

const EXAMPLE_ROLE = 'arn:aws:iam::123456789012:role/ecr-reader';
const ROLE_ARN = /^arn:(?<partition>aws(?:-[a-z]+)*):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
// A profile is a section name of an ini file: anything but whitespace and brackets.
const PROFILE = /^[^\s[\]]{1,128}$/;

/** A key that is equal for two identities exactly when they fetch the same credentials. */
export function identityKey(identity: AwsIdentity): string {
  const { profile, roleArn, externalId, roleSessionName } = identity;
  return JSON.stringify([profile ?? '', roleArn ?? '', externalId ?? '', roleSessionName ?? '']);
}

/** How messages name an identity, e.g. `role arn:aws:iam::123456789012:role/reader (from profile ops)`. */
export function describeIdentity(identity: AwsIdentity): string {
  const profile = identity.profile === undefined ? undefined : `profile ${identity.profile}`;
  if (identity.roleArn === undefined) return profile ?? 'the default AWS identity';
  return `role ${identity.roleArn}${profile === undefined ? '' : ` (from ${profile})`}`;
}

/** One problem of an identity: the field at fault and what is wrong with it. */
export interface IdentityProblem {
  readonly key: keyof AwsIdentity;
  readonly message: string;
}

/**
 * Checks an identity as a user wrote it and returns every problem, nothing when it is valid. With
 * `region`, a role must belong to that region's partition: IAM roles cannot be assumed across
 * partitions (a China or GovCloud registry needs a role of its own partition).
 */
export function validateAwsIdentity(identity: AwsIdentity, region?: string): IdentityProblem[] {
  const problems: IdentityProblem[] = [];
  const add = (key: keyof AwsIdentity, message: string) => problems.push({ key, message });
  const { roleArn, externalId, roleSessionName, profile } = identity;
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    add('roleArn', `expected an IAM role ARN like ${EXAMPLE_ROLE}, not ${quoteInput(roleArn)}`);
  }
  const mismatch =
    roleArn === undefined || region === undefined
      ? undefined
      : rolePartitionMismatch(roleArn, region);
  if (mismatch !== undefined) add('roleArn', mismatch);
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    add('externalId', 'expected 2 to 1224 characters of letters, digits and +=,.@:/-');
  }
  if (externalId !== undefined && roleArn === undefined)
    add('externalId', 'only meaningful with a role ARN');
  if (roleSessionName !== undefined && !ROLE_SESSION_NAME.test(roleSessionName)) {
    add(
      'roleSessionName',
      `expected 2 to 64 letters, digits and +=,.@-, not ${quoteInput(roleSessionName)}`,
    );
  }
  if (profile !== undefined && !PROFILE.test(profile)) {
    add(
      'profile',
      `expected a profile name (1 to 128 characters, no spaces or brackets), not ${quoteInput(profile)}`,
    );
  }
  return problems;
}

/**
 * Why `roleArn` cannot serve a registry in `region`, when its partition is not the region's (IAM
 * roles cannot be assumed across partitions); undefined when it can, or when it is no role ARN.
 */
export function rolePartitionMismatch(roleArn: string, region: string): string | undefined {
  const rolePartition = ROLE_ARN.exec(roleArn)?.groups?.partition;
  const registryPartition = partition(region).name;
  if (rolePartition === undefined || rolePartition === registryPartition) return undefined;
  return `${roleArn} is a role of partition ${rolePartition}, but ${region} is in partition ${registryPartition}`;
}
