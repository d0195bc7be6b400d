import {
  ConfigError,
  createLogger,
  createTokenSource,
  missingProfiles,
  quoteInput,
  type Logger,
  type TokenSource,
} from '@ecr-refresh/core';
import type { Settings } from '../options/settings.ts';

/** What every command builds from its settings: the logger and the source of ECR credentials. */
export interface Session {
  readonly logger: Logger;
  readonly tokenSource: TokenSource;
}

/**
 * Builds the {@link Session} of a command from validated settings. Throws {@link ConfigError}
 * when a registry names a profile that no shared AWS file defines.
 */
export async function openSession(settings: Settings): Promise<Session> {
  await checkProfiles(settings);
  const logger = await createLogger({ level: settings.logLevel, format: settings.logFormat });
  const tokenSource = createTokenSource({
    roleArn: settings.roleArn,
    externalId: settings.externalId,
    endpoint: settings.endpointUrl,
    publicEndpoint: settings.publicEndpointUrl,
    timeouts: {
      connectTimeoutMs: Math.min(settings.timeoutMs, 10_000),
      requestTimeoutMs: settings.timeoutMs,
    },
    logger,
  });
  return { logger, tokenSource };
}

async function checkProfiles(settings: Settings): Promise<void> {
  const profileOf = new Map<string, string>();
  for (const { host, identity } of settings.registries) {
    if (identity?.profile !== undefined) profileOf.set(host, identity.profile);
  }
  const missing = new Set(await missingProfiles([...new Set(profileOf.values())]));
  const files = 'AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/config, ~/.aws/credentials';
  const problems = [...profileOf]
    .filter(([, profile]) => missing.has(profile))
    .map(
      ([host, profile]) =>
        `registry ${host}: profile: ${quoteInput(profile)} is in no shared AWS file (${files})`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
}
