import type { EcrApiFactory, EcrApiSettings, EcrAuthorizationData } from '../token/ecr-api.ts';

/** A fake ECR: counts calls per region and answers with a token of its own making. */
export interface FakeEcr {
  readonly factory: EcrApiFactory;
  readonly calls: string[];
  readonly settings: EcrApiSettings[];
  /** Makes every later call fail with `error`. */
  failWith(error: unknown): void;
}

/** Creates a {@link FakeEcr}; `answer` decides each response (default: a valid 12 h token). */
export function createFakeEcr(
  answer?: (region: string, settings: EcrApiSettings) => EcrAuthorizationData[],
): FakeEcr {
  const calls: string[] = [];
  const settings: EcrApiSettings[] = [];
  let failure: unknown;
  const respond = answer ?? ((region: string) => [validAuthorization(region)]);
  return {
    calls,
    settings,
    failWith(error) {
      failure = error;
    },
    factory(clientSettings) {
      settings.push(clientSettings);
      return {
        async getAuthorizationToken() {
          calls.push(clientSettings.region);
          await new Promise((resolve) => setImmediate(resolve));
          if (failure !== undefined) throw failure;
          return { data: respond(clientSettings.region, clientSettings), attempts: 1 };
        },
      };
    },
  };
}

/** A token as ECR issues it: base64 of `AWS:<password>`, valid 12 h from now. */
export function validAuthorization(
  region: string,
  password = `pw-${region}-0123456789abcdef`,
): EcrAuthorizationData {
  return {
    authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
    expiresAt: new Date(Date.now() + 12 * 3600_000),
    proxyEndpoint: `https://123456789012.dkr.ecr.${region}.amazonaws.com`,
  };
}
