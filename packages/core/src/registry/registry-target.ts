import { InvalidRegistryError } from '../errors.ts';
import type { AwsIdentity } from '../identity/aws-identity.ts';
import { quoteInput } from '../text/quote-input.ts';
import { partitionOfRegion, regionProblem } from './aws-region.ts';
import { ECR_PUBLIC_REGION, publicRegistryVariant } from './public-registry.ts';

/** How a registry is reached: the regular endpoint, FIPS, dual-stack (IPv6), or both. */
export type EndpointVariant = 'standard' | 'fips' | 'dualstack' | 'dualstack-fips';

/** Which ECR serves a registry: a private registry of an account, or ECR Public. */
export type RegistryKind = 'private' | 'public';

/**
 * One ECR registry to serve. `host` is the canonical key everywhere: bare (no scheme), lower
 * case, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `public.ecr.aws`. ECR Public has
 * no account in its host (`accountId` is empty) and answers only in us-east-1.
 */
export interface RegistryTarget {
  readonly kind: RegistryKind;
  readonly accountId: string;
  readonly region: string;
  readonly host: string;
  readonly variant: EndpointVariant;
  /** As whom this registry's token is fetched; the token source's default identity when absent. */
  readonly identity?: AwsIdentity | undefined;
}

const EXAMPLE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

// <account>.<dkr.ecr | dkr.ecr-fips | dkr-ecr | dkr-ecr-fips>.<region>.<suffix>
const HOST_PATTERN =
  /^(?<account>\d{12})\.(?<service>dkr\.ecr|dkr\.ecr-fips|dkr-ecr|dkr-ecr-fips)\.(?<region>[a-z0-9-]+)\.(?<suffix>[a-z0-9.-]+)$/;
const ACCOUNT_PATTERN = /^\d{12}$/;

/**
 * Parses a registry given as a host (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`, also FIPS,
 * dual-stack, China, EU sovereign and ISO forms, and ECR Public's `public.ecr.aws` and
 * `ecr-public.aws.com`; a pasted `https://` and trailing `/` are accepted) or as `account:region`.
 * Regions are recognised by the shape of their name, so one opened after this release works.
 * Throws {@link InvalidRegistryError} quoting the input and showing a valid example otherwise.
 */
export function parseRegistry(input: string): RegistryTarget {
  const value = input.trim();
  const pair = /^(?<account>[^:/]+):(?<region>[^:/]+)$/.exec(value);
  if (pair?.groups && !value.includes('.')) {
    return buildRegistryTarget(pair.groups.account ?? '', pair.groups.region ?? '');
  }
  return parseRegistryHost(value);
}

/** Parses an ECR registry host; see {@link parseRegistry}. */
export function parseRegistryHost(input: string): RegistryTarget {
  const host = input
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  if (host.includes('/')) {
    throw invalid(input, 'it contains a path: give the registry host only, without the repository');
  }
  const publicVariant = publicRegistryVariant(host);
  if (publicVariant !== undefined)
    return {
      kind: 'public',
      accountId: '',
      region: ECR_PUBLIC_REGION,
      host,
      variant: publicVariant,
    };
  const match = HOST_PATTERN.exec(host);
  if (!match?.groups) throw invalid(input, 'it is not an ECR registry host');
  const { account = '', service = '', region = '', suffix = '' } = match.groups;
  const variant = variantOf(service);
  assertRegion(input, region);
  const expected = registrySuffix(region, variant);
  if (expected === undefined) {
    throw invalid(input, `ECR offers no ${variant} registry endpoint in ${region}`);
  }
  if (suffix !== expected) {
    throw invalid(input, `registries in ${region} end in .${expected}, not .${suffix}`);
  }
  return { kind: 'private', accountId: account, region, host, variant };
}

/**
 * Builds the registry of `accountId` in `region` with the DNS suffix of the region's partition
 * (`amazonaws.com`, `amazonaws.com.cn`, `amazonaws.eu`, the ISO suffixes).
 */
export function buildRegistryTarget(
  accountId: string,
  region: string,
  variant: EndpointVariant = 'standard',
): RegistryTarget {
  const input = `${accountId}:${region}`;
  if (!ACCOUNT_PATTERN.test(accountId)) {
    throw invalid(input, `the account id ${quoteInput(accountId)} must be exactly 12 digits`);
  }
  assertRegion(input, region);
  const suffix = registrySuffix(region, variant);
  if (suffix === undefined)
    throw invalid(input, `ECR offers no ${variant} registry endpoint in ${region}`);
  const service = {
    standard: 'dkr.ecr',
    fips: 'dkr.ecr-fips',
    dualstack: 'dkr-ecr',
    'dualstack-fips': 'dkr-ecr-fips',
  }[variant];
  return {
    kind: 'private',
    accountId,
    region,
    host: `${accountId}.${service}.${region}.${suffix}`,
    variant,
  };
}

/** The DNS suffix of `region`'s registries of `variant`, decided by the region's partition. */
function registrySuffix(region: string, variant: EndpointVariant): string | undefined {
  const partition = partitionOfRegion(region);
  if (variant === 'dualstack' || variant === 'dualstack-fips') return partition?.dualStackSuffix;
  return partition?.dnsSuffix;
}

function variantOf(service: string): EndpointVariant {
  if (service === 'dkr.ecr-fips') return 'fips';
  if (service === 'dkr-ecr') return 'dualstack';
  if (service === 'dkr-ecr-fips') return 'dualstack-fips';
  return 'standard';
}

function assertRegion(input: string, region: string): void {
  const problem = regionProblem(region);
  if (problem !== undefined) throw invalid(input, problem);
}

function invalid(input: string, reason: string): InvalidRegistryError {
  return new InvalidRegistryError(
    `invalid registry ${quoteInput(input)}: ${reason}; expected a host like ${EXAMPLE} or public.ecr.aws, ` +
      'or account:region like 123456789012:eu-west-1',
  );
}
