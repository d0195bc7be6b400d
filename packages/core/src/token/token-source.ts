import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { partition } from '@aws-sdk/util-endpoints';
import { EcrRefreshError, TokenError } from '../errors.ts';
import { effectiveExpiry, type RegistryCredential } from '../credential/registry-credential.ts';
import type { RegistryTarget } from '../registry/registry-target.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import { DEFAULT_TIMEOUTS, type HttpTimeouts } from '../http/http-timeouts.ts';
import {
  DEFAULT_IDENTITY,
  describeIdentity,
  identityKey,
  type AwsIdentity,
} from '../identity/aws-identity.ts';
import type { IdentityCredentialsFactory } from '../identity/identity-credentials.ts';
import { decodeAuthorizationToken } from './decode-token.ts';
import { fromAwsError } from './aws-error.ts';
import type { EcrApi, EcrApiFactory, EcrApiSettings, EcrAuthorizationAnswer } from './ecr-api.ts';
import { ecrEndpointUrl } from './ecr-endpoint.ts';
import {
  createEcrPublicApi,
  ECR_PUBLIC_PERMISSIONS,
  ecrPublicEndpointUrl,
  ecrPublicSettings,
} from './ecr-public-api.ts';

/**
 * The default {@link EcrApiFactory}: the AWS SDK's ECR client (see ecr-sdk-client.ts), loaded when
 * the first client is built. A run whose targets are all still fresh builds none, and never loads
 * the client, its credential providers or its HTTP handler.
 */
const createSdkEcrApiLazily: EcrApiFactory = async (settings) =>
  (await import('./ecr-sdk-client.ts')).createSdkEcrApi(settings);

/**
 * The default {@link IdentityCredentialsFactory}: the SDK's credential providers, loaded when the
 * first ECR client is built, as the client itself is (see createSdkEcrApiLazily).
 */
const createSdkIdentityCredentials: IdentityCredentialsFactory = async (settings) =>
  (await import('../identity/identity-credentials.ts')).createIdentityCredentials(settings);

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /**
   * A role to assume (with STS) before asking ECR for the registries that name no identity of
   * their own (`RegistryTarget.identity`); the default chain's identity otherwise.
   */
  roleArn?: string | undefined;
  /** The external id the role's trust policy requires. */
  externalId?: string | undefined;
  roleSessionName?: string | undefined;
  /** A custom ECR API endpoint (a VPC endpoint, a test server). */
  endpoint?: string | undefined;
  /** A custom ECR Public API endpoint (a test server); default: AWS_ENDPOINT_URL_ECR_PUBLIC, then AWS's. */
  publicEndpoint?: string | undefined;
  /** Credentials to use instead of the SDK's default chain (for identities without a profile). */
  credentials?: AwsCredentialIdentityProvider | undefined;
  /** Attempts per call, retries included (default 4). */
  maxAttempts?: number | undefined;
  timeouts?: HttpTimeouts | undefined;
  logger?: Logger | undefined;
  clock?: (() => Date) | undefined;
  /** @internal Replaces the ECR client; for tests. */
  ecrApiFactory?: EcrApiFactory | undefined;
  /** @internal Replaces the ECR Public client; for tests. */
  ecrPublicApiFactory?: EcrApiFactory | undefined;
  /** @internal Replaces the SDK's credential providers; for tests. */
  credentialsFactory?: IdentityCredentialsFactory | undefined;
}

/** Fetches ECR credentials for registries; see {@link createTokenSource}. */
export interface TokenSource {
  /**
   * Returns one credential per registry host in `registries`, calling `GetAuthorizationToken`
   * once per distinct (partition, region, identity): N registries of one region asked for by one
   * identity cost one call. ECR Public hosts share one call of ECR Public's own
   * `GetAuthorizationToken` per identity. A registry's own `identity` wins over the source's role. Throws an
   * `AwsAuthError`, `EcrUnavailableError` (both in errors.ts) or {@link TokenError}.
   */
  fetch(
    registries: readonly RegistryTarget[],
    options?: { signal?: AbortSignal },
  ): Promise<Map<string, RegistryCredential>>;
  /** How many `GetAuthorizationToken` calls this source has made. */
  readonly calls: number;
}

/**
 * Creates the source of ECR credentials. Clients are built once per (region, identity) and reused;
 * the credentials of an identity once per partition, shared by its clients, so an assumed role's
 * STS session serves every region until it nears expiry. Calls of the same group that overlap
 * share one request.
 */
export function createTokenSource(options: TokenSourceOptions = {}): TokenSource {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const factory = options.ecrApiFactory ?? createSdkEcrApiLazily;
  const publicFactory = options.ecrPublicApiFactory ?? createEcrPublicApi;
  const credentialsFactory = options.credentialsFactory ?? createSdkIdentityCredentials;
  const maxAttempts = options.maxAttempts ?? 4;
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const defaultIdentity: AwsIdentity =
    options.roleArn === undefined
      ? DEFAULT_IDENTITY
      : {
          roleArn: options.roleArn,
          externalId: options.externalId,
          roleSessionName: options.roleSessionName,
        };
  const clients = new Map<string, Promise<EcrApi>>();
  const identities = new Map<string, Promise<AwsCredentialIdentityProvider>>();
  const inFlight = new Map<string, Promise<Omit<RegistryCredential, 'host'>>>();
  let calls = 0;

  function identityOf(target: RegistryTarget): AwsIdentity {
    return target.identity ?? defaultIdentity;
  }

  /** The identity's credentials for the region's partition, built once (they fail when used, not when built). */
  function credentialsFor(
    identity: AwsIdentity,
    region: string,
  ): Promise<AwsCredentialIdentityProvider> {
    const settings = { identity, region, base: options.credentials, maxAttempts, timeouts };
    return buildOnce(identities, `${partitionOf(region)}|${identityKey(identity)}`, () =>
      credentialsFactory(settings),
    );
  }

  async function settingsFor(group: RegistryTarget[]): Promise<EcrApiSettings> {
    const region = group[0]?.region ?? '';
    const identity = group[0] === undefined ? defaultIdentity : identityOf(group[0]);
    return {
      region,
      endpoint: options.endpoint,
      // One FIPS or dual-stack registry in the group is reason enough to use that API endpoint.
      useFipsEndpoint: group.some((target) => target.variant.endsWith('fips')),
      useDualstackEndpoint: group.some((target) => target.variant.startsWith('dualstack')),
      identity,
      credentials: await credentialsFor(identity, region),
      maxAttempts,
      timeouts,
    };
  }

  /** The API a group calls (ECR, or ECR Public for public hosts), its settings, and how to name it. */
  async function apiFor(group: RegistryTarget[]): Promise<{
    settings: EcrApiSettings;
    build: EcrApiFactory;
    where: string;
    permissions?: string;
  }> {
    const settings = await settingsFor(group);
    if (group[0]?.kind !== 'public') {
      return {
        settings,
        build: factory,
        where: `ECR in ${settings.region} (${ecrEndpointUrl(settings)})`,
      };
    }
    const publicSettings = ecrPublicSettings(settings, options.publicEndpoint);
    const where = `ECR Public (${ecrPublicEndpointUrl(publicSettings)})`;
    return {
      settings: publicSettings,
      build: publicFactory,
      where,
      permissions: ECR_PUBLIC_PERMISSIONS,
    };
  }

  /**
   * The group's client, built once; outside the call's error mapping, as building fails for other
   * reasons than ECR (a malformed proxy URL, a broken install). A failed build is not kept.
   */
  function clientFor(key: string, settings: EcrApiSettings, build: EcrApiFactory): Promise<EcrApi> {
    return buildOnce(clients, key, () => build(settings));
  }

  async function fetchGroup(
    key: string,
    group: RegistryTarget[],
    signal?: AbortSignal,
  ): Promise<Omit<RegistryCredential, 'host'>> {
    const { settings, build, where, permissions } = await apiFor(group);
    const client = await clientFor(key, settings, build);
    const identity = describeIdentity(settings.identity);
    calls += 1;
    const started = Date.now();
    let answer: EcrAuthorizationAnswer;
    try {
      answer = await client.getAuthorizationToken(signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted === true)
        throw new EcrRefreshError(`the call to ${where} was cancelled`, { cause: error });
      throw fromAwsError(error, where, identity, permissions);
    }
    const fetchedAt = clock();
    const first = answer.data[0];
    if (first?.authorizationToken === undefined) {
      throw new TokenError(
        `${where} returned no authorization token (${answer.data.length} entries)`,
      );
    }
    const { username, password } = decodeAuthorizationToken(first.authorizationToken);
    const expiry = effectiveExpiry(first.expiresAt, fetchedAt);
    if (!expiry.trusted) {
      logger.warn(
        {
          region: settings.region,
          reportedExpiresAt: first.expiresAt?.toISOString(),
          assumedExpiresAt: expiry.expiresAt.toISOString(),
        },
        'ECR reported an expiry that is not in the future; assuming the documented 12 hour lifetime',
      );
    }
    const fields = {
      region: settings.region,
      ms: Date.now() - started,
      attempts: answer.attempts,
      expiresAt: expiry.expiresAt.toISOString(),
    };
    // Retries are worth an operator's attention (throttling, a flaky path); a first-try success is not.
    if (answer.attempts > 1)
      logger.warn(fields, `fetched ECR token after ${answer.attempts} attempts`);
    else logger.debug(fields, 'fetched ECR token');
    return {
      username,
      password,
      auth: first.authorizationToken,
      expiresAt: expiry.expiresAt,
      fetchedAt,
    };
  }

  return {
    get calls() {
      return calls;
    },
    async fetch(registries, { signal } = {}) {
      const groups = groupByIdentity(registries, identityOf);
      const credentials = new Map<string, RegistryCredential>();
      await Promise.all(
        [...groups].map(async ([key, group]) => {
          let pending = inFlight.get(key);
          if (pending === undefined) {
            pending = fetchGroup(key, group, signal).finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
          }
          const credential = await pending;
          for (const target of group)
            credentials.set(target.host, { host: target.host, ...credential });
        }),
      );
      return credentials;
    },
  };
}

/** Groups registries by what decides the token: the service (ECR or ECR Public), partition, region and the identity asking. */
function groupByIdentity(
  registries: readonly RegistryTarget[],
  identityOf: (target: RegistryTarget) => AwsIdentity,
): Map<string, RegistryTarget[]> {
  const groups = new Map<string, RegistryTarget[]>();
  for (const target of registries) {
    const key = [
      target.kind,
      partitionOf(target.region),
      target.region,
      identityKey(identityOf(target)),
    ].join('|');
    const group = groups.get(key) ?? [];
    if (!group.some((existing) => existing.host === target.host)) group.push(target);
    groups.set(key, group);
  }
  return groups;
}

function partitionOf(region: string): string {
  return partition(region).name;
}

/** The value `build` makes for `key`, built once and shared; a failed build is not kept. */
function buildOnce<T>(
  built: Map<string, Promise<T>>,
  key: string,
  build: () => T | Promise<T>,
): Promise<T> {
  let value = built.get(key);
  if (value === undefined) {
    value = Promise.resolve()
      .then(build)
      .catch((error: unknown) => {
        built.delete(key);
        throw error;
      });
    built.set(key, value);
  }
  return value;
}
