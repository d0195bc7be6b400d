import { partition } from '@aws-sdk/util-endpoints';
import { InvalidRegistryError } from '../errors.ts';
import type { AwsIdentity } from '../identity/aws-identity.ts';
import { quoteInput } from '../text/quote-input.ts';

/** How a registry is reached: the regular endpoint, FIPS, dual-stack (IPv6), or both. */
export type EndpointVariant = 'standard' | 'fips' | 'dualstack' | 'dualstack-fips';

/**
 * One private ECR registry to serve. `host` is the canonical key everywhere: bare (no scheme),
 * lower case, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
 */
export interface RegistryTarget {
  readonly accountId: string;
  readonly region: string;
  readonly host: string;
  readonly variant: EndpointVariant;
  /** As whom this registry's token is fetched; the token source's default identity when absent. */
  readonly identity?: AwsIdentity | undefined;
}

const EXAMPLE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

// ECR's dual-stack registry hosts use `on.aws` (and its China twin), not the SDK's `api.aws`.
const DUALSTACK_SUFFIX: Readonly<Record<string, string>> = {
  aws: 'on.aws',
  'aws-cn': 'on.amazonwebservices.com.cn',
};

// <account>.<dkr.ecr | dkr.ecr-fips | dkr-ecr | dkr-ecr-fips>.<region>.<suffix>
const HOST_PATTERN = /^(?<account>\d{12})\.(?<service>dkr\.ecr|dkr\.ecr-fips|dkr-ecr|dkr-ecr-fips)\.(?<region>[a-z0-9-]+)\.(?<suffix>[a-z0-9.-]+)$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_SHAPE = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/**
 * Parses a registry given as a host (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`, also FIPS,
 * dual-stack, China, EU sovereign and ISO forms; a pasted `https://` and trailing `/` are
 * accepted) or as `account:region`. Throws {@link InvalidRegistryError} quoting the input and
 * showing a valid example when it is neither.
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
  const host = input.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (host.includes('/')) {
    throw invalid(input, 'it contains a path: give the registry host only, without the repository');
  }
  const match = HOST_PATTERN.exec(host);
  if (!match?.groups) throw invalid(input, 'it is not a private ECR registry host');
  const { account = '', service = '', region = '', suffix = '' } = match.groups;
  const variant = variantOf(service);
  assertKnownRegion(input, region);
  const expected = registrySuffix(region, variant);
  if (expected === undefined) {
    throw invalid(input, `ECR offers no ${variant} registry endpoint in ${region}`);
  }
  if (suffix !== expected) {
    throw invalid(input, `registries in ${region} end in .${expected}, not .${suffix}`);
  }
  return { accountId: account, region, host, variant };
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
  assertKnownRegion(input, region);
  const suffix = registrySuffix(region, variant);
  if (suffix === undefined) throw invalid(input, `ECR offers no ${variant} registry endpoint in ${region}`);
  const service = { standard: 'dkr.ecr', fips: 'dkr.ecr-fips', dualstack: 'dkr-ecr', 'dualstack-fips': 'dkr-ecr-fips' }[variant];
  return { accountId, region, host: `${accountId}.${service}.${region}.${suffix}`, variant };
}

/** Whether `region` is an AWS region the bundled AWS SDK knows. */
export function isKnownRegion(region: string): boolean {
  // The SDK's partition table lists every region it knows with a description; anything else
  // falls back to a partition default without one.
  return REGION_SHAPE.test(region) && 'description' in partition(region);
}

function registrySuffix(region: string, variant: EndpointVariant): string | undefined {
  const info = partition(region);
  if ((variant === 'fips' || variant === 'dualstack-fips') && !info.supportsFIPS) return undefined;
  if (variant === 'dualstack' || variant === 'dualstack-fips') return DUALSTACK_SUFFIX[info.name];
  return info.dnsSuffix;
}

function variantOf(service: string): EndpointVariant {
  if (service === 'dkr.ecr-fips') return 'fips';
  if (service === 'dkr-ecr') return 'dualstack';
  if (service === 'dkr-ecr-fips') return 'dualstack-fips';
  return 'standard';
}

function assertKnownRegion(input: string, region: string): void {
  if (!isKnownRegion(region)) {
    throw invalid(input, `${quoteInput(region)} is not an AWS region (for example eu-west-1, us-gov-west-1, cn-north-1)`);
  }
}

function invalid(input: string, reason: string): InvalidRegistryError {
  return new InvalidRegistryError(
    `invalid registry ${quoteInput(input)}: ${reason}; expected a host like ${EXAMPLE} or account:region like 123456789012:eu-west-1`,
  );
}
