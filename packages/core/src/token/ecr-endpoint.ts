import { partition } from '@aws-sdk/util-endpoints';

/** What decides the ECR API endpoint a client calls. */
export interface EcrEndpointSettings {
  readonly region: string;
  /** A custom ECR API endpoint (VPC endpoint, tests). */
  readonly endpoint?: string | undefined;
  readonly useFipsEndpoint: boolean;
  readonly useDualstackEndpoint: boolean;
}

/**
 * The custom endpoint the ECR client calls, if any: `endpoint`, else AWS_ENDPOINT_URL_ECR, else
 * AWS_ENDPOINT_URL (the SDK's own order); an empty variable counts as unset.
 */
export function configuredEcrEndpoint(
  settings: Pick<EcrEndpointSettings, 'endpoint'>,
): string | undefined {
  const configured =
    settings.endpoint || process.env.AWS_ENDPOINT_URL_ECR || process.env.AWS_ENDPOINT_URL;
  return configured === '' ? undefined : configured;
}

/**
 * The URL the ECR client calls, to choose its proxy (NO_PROXY is matched against this host) and
 * to name it in errors: the custom endpoint, else the host the SDK's endpoint rules give for the
 * region, FIPS and dual-stack (IPv6) choices: `api.ecr.<region>.amazonaws.com`,
 * `api.ecr-fips.<region>.amazonaws.com`, and dual-stack `ecr.<region>.api.aws`,
 * `ecr-fips.<region>.api.aws` (the suffixes of the region's partition).
 */
export function ecrEndpointUrl(settings: EcrEndpointSettings): string {
  const configured = configuredEcrEndpoint(settings);
  if (configured !== undefined) return configured;
  const { dnsSuffix, dualStackDnsSuffix } = partition(settings.region);
  if (settings.useDualstackEndpoint) {
    return `https://${settings.useFipsEndpoint ? 'ecr-fips' : 'ecr'}.${settings.region}.${dualStackDnsSuffix}`;
  }
  return `https://${settings.useFipsEndpoint ? 'api.ecr-fips' : 'api.ecr'}.${settings.region}.${dnsSuffix}`;
}
