import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { EcrRefreshError, TokenError } from '../errors.ts';
import { effectiveExpiry, type RegistryCredential } from '../credential/registry-credential.ts';
import type { RegistryTarget } from '../registry/registry-target.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import { DEFAULT_TIMEOUTS, type HttpTimeouts } from '../http/http-timeouts.ts';
import { decodeAuthorizationToken } from './decode-token.ts';
import { fromAwsError } from './aws-error.ts';
import { createEcrApi, ecrEndpointUrl, type EcrApi, type EcrApiFactory, type EcrApiSettings, type EcrAuthorizationAnswer } from './ecr-api.ts';

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /** A role to assume (with STS) before asking ECR; the default chain's identity otherwise. */
  roleArn?: string | undefined;
  /** The external id the role's trust policy requires. */
  externalId?: string | undefined;
  roleSessionName?: string | undefined;
  /** A custom ECR API endpoint (a VPC endpoint, a test server). */
  endpoint?: string | undefined;
  /** Credentials to use instead of the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider | undefined;
  /** Attempts per call, retries included (default 4). */
  maxAttempts?: number | undefined;
  timeouts?: HttpTimeouts | undefined;
  logger?: Logger | undefined;
  clock?: (() => Date) | undefined;
  /** @internal Replaces the ECR client; for tests. */
  ecrApiFactory?: EcrApiFactory | undefined;
}

/** Fetches ECR credentials for registries; see {@link createTokenSource}. */
export interface TokenSource {
  /**
   * Returns one credential per registry host in `registries`, calling `GetAuthorizationToken`
   * once per distinct (region, identity): N registries of one region cost one call. Throws an
   * {@link AwsAuthError}, {@link EcrUnavailableError} or {@link TokenError}.
   */
  fetch(registries: readonly RegistryTarget[], options?: { signal?: AbortSignal }): Promise<Map<string, RegistryCredential>>;
  /** How many `GetAuthorizationToken` calls this source has made. */
  readonly calls: number;
}

/**
 * Creates the source of ECR credentials. Clients are built once per region and reused; calls of
 * the same group that overlap share one request.
 */
export function createTokenSource(options: TokenSourceOptions = {}): TokenSource {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const factory = options.ecrApiFactory ?? createEcrApi;
  const clients = new Map<string, Promise<EcrApi>>();
  const inFlight = new Map<string, Promise<Omit<RegistryCredential, 'host'>>>();
  let calls = 0;

  function settingsFor(group: RegistryTarget[]): EcrApiSettings {
    const region = group[0]?.region ?? '';
    return {
      region,
      endpoint: options.endpoint,
      // One FIPS or dual-stack registry in the group is reason enough to use that API endpoint.
      useFipsEndpoint: group.some((target) => target.variant.endsWith('fips')),
      useDualstackEndpoint: group.some((target) => target.variant.startsWith('dualstack')),
      roleArn: options.roleArn,
      externalId: options.externalId,
      roleSessionName: options.roleSessionName,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 4,
      timeouts: options.timeouts ?? DEFAULT_TIMEOUTS,
    };
  }

  /**
   * The group's client, built once; outside the call's error mapping, as building fails for other
   * reasons than ECR (a malformed proxy URL, a broken install). A failed build is not kept.
   */
  function clientFor(key: string, settings: EcrApiSettings): Promise<EcrApi> {
    let client = clients.get(key);
    if (client === undefined) {
      client = Promise.resolve()
        .then(() => factory(settings))
        .catch((error: unknown) => {
          clients.delete(key);
          throw error;
        });
      clients.set(key, client);
    }
    return client;
  }

  async function fetchGroup(key: string, group: RegistryTarget[], signal?: AbortSignal): Promise<Omit<RegistryCredential, 'host'>> {
    const settings = settingsFor(group);
    const client = await clientFor(key, settings);
    const where = `ECR in ${settings.region} (${ecrEndpointUrl(settings)})`;
    const identity = options.roleArn === undefined ? 'the default AWS identity' : `role ${options.roleArn}`;
    calls += 1;
    const started = Date.now();
    let answer: EcrAuthorizationAnswer;
    try {
      answer = await client.getAuthorizationToken(signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted === true) throw new EcrRefreshError(`the call to ${where} was cancelled`, { cause: error });
      throw fromAwsError(error, where, identity);
    }
    const fetchedAt = clock();
    const first = answer.data[0];
    if (first?.authorizationToken === undefined) {
      throw new TokenError(`${where} returned no authorization token (${answer.data.length} entries)`);
    }
    const { username, password } = decodeAuthorizationToken(first.authorizationToken);
    const expiry = effectiveExpiry(first.expiresAt, fetchedAt);
    if (!expiry.trusted) {
      logger.warn(
        { region: settings.region, reportedExpiresAt: first.expiresAt?.toISOString(), assumedExpiresAt: expiry.expiresAt.toISOString() },
        'ECR reported an expiry that is not in the future; assuming the documented 12 hour lifetime',
      );
    }
    const fields = { region: settings.region, ms: Date.now() - started, attempts: answer.attempts, expiresAt: expiry.expiresAt.toISOString() };
    // Retries are worth an operator's attention (throttling, a flaky path); a first-try success is not.
    if (answer.attempts > 1) logger.warn(fields, `fetched ECR token after ${answer.attempts} attempts`);
    else logger.debug(fields, 'fetched ECR token');
    return { username, password, auth: first.authorizationToken, expiresAt: expiry.expiresAt, fetchedAt };
  }

  return {
    get calls() {
      return calls;
    },
    async fetch(registries, { signal } = {}) {
      const groups = groupByIdentity(registries, options.roleArn, options.externalId);
      const credentials = new Map<string, RegistryCredential>();
      await Promise.all(
        [...groups].map(async ([key, group]) => {
          let pending = inFlight.get(key);
          if (pending === undefined) {
            pending = fetchGroup(key, group, signal).finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
          }
          const credential = await pending;
          for (const target of group) credentials.set(target.host, { host: target.host, ...credential });
        }),
      );
      return credentials;
    },
  };
}

/** Groups registries by what decides the token: region and the identity asking. */
function groupByIdentity(
  registries: readonly RegistryTarget[],
  roleArn: string | undefined,
  externalId: string | undefined,
): Map<string, RegistryTarget[]> {
  const groups = new Map<string, RegistryTarget[]>();
  for (const target of registries) {
    const key = [target.region, roleArn ?? '', externalId ?? ''].join('|');
    const group = groups.get(key) ?? [];
    if (!group.some((existing) => existing.host === target.host)) group.push(target);
    groups.set(key, group);
  }
  return groups;
}
