import { ECR_PUBLIC_REGION } from '../registry/public-registry.ts';
import type { EcrApiFactory, EcrApiSettings } from './ecr-api.ts';

/** What an identity needs to get an ECR Public token (ECR Public asks STS for a bearer token). */
export const ECR_PUBLIC_PERMISSIONS =
  'ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken on "*"';

/**
 * The {@link EcrApiFactory} of ECR Public: the AWS SDK's ECR Public client (see
 * ecr-public-sdk-client.ts), loaded when the first public client is built. A run that serves only
 * private registries never loads it.
 */
export const createEcrPublicApi: EcrApiFactory = async (settings) =>
  (await import('./ecr-public-sdk-client.ts')).createSdkEcrPublicApi(settings);

/**
 * The settings of the ECR Public client, derived from those its group would use: the same
 * identity, retries, timeouts and dual-stack choice (`ecr-public.aws.com` asks the dual-stack API),
 * but ECR Public's own region and endpoint, and no FIPS endpoint (ECR Public has none). A custom
 * private endpoint (a VPC endpoint) never applies to it.
 */
export function ecrPublicSettings(
  base: EcrApiSettings,
  endpoint: string | undefined,
): EcrApiSettings {
  return { ...base, region: ECR_PUBLIC_REGION, endpoint, useFipsEndpoint: false };
}

/** The URL the ECR Public client will call, used to choose its proxy and in messages. */
export function ecrPublicEndpointUrl(
  settings: Pick<EcrApiSettings, 'endpoint' | 'useDualstackEndpoint'>,
): string {
  // An empty variable counts as unset, as for the private client.
  const configured =
    settings.endpoint || process.env.AWS_ENDPOINT_URL_ECR_PUBLIC || process.env.AWS_ENDPOINT_URL;
  // The AWS SDK's endpoint rules: the dual-stack API drops the `api.` prefix.
  const host = settings.useDualstackEndpoint
    ? `ecr-public.${ECR_PUBLIC_REGION}.api.aws`
    : `api.ecr-public.${ECR_PUBLIC_REGION}.amazonaws.com`;
  return configured || `https://${host}`;
}
