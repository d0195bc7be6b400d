/**
 * ECR Public's one region: its `GetAuthorizationToken` answers only in us-east-1 of the
 * commercial partition, whatever region the private registries of the same run are in.
 */
export const ECR_PUBLIC_REGION = 'us-east-1';

// The registry hosts of ECR Public: public.ecr.aws (IPv4) and ecr-public.aws.com (dual-stack).
const PUBLIC_HOSTS: Readonly<Record<string, 'standard' | 'dualstack'>> = {
  'public.ecr.aws': 'standard',
  'ecr-public.aws.com': 'dualstack',
};

/** The endpoint variant of `host` when it is an ECR Public registry host (bare, lower case). */
export function publicRegistryVariant(host: string): 'standard' | 'dualstack' | undefined {
  return Object.hasOwn(PUBLIC_HOSTS, host) ? PUBLIC_HOSTS[host] : undefined;
}
