import { createLogger, createTokenSource, type Logger, type TokenSource } from '@ecr-refresh/core';
import type { Settings } from '../options/settings.ts';

/** What every command builds from its settings: the logger and the source of ECR credentials. */
export interface Session {
  readonly logger: Logger;
  readonly tokenSource: TokenSource;
}

/** Builds the {@link Session} of a command from validated settings. */
export async function openSession(settings: Settings): Promise<Session> {
  const logger = await createLogger({ level: settings.logLevel, format: settings.logFormat });
  const tokenSource = createTokenSource({
    roleArn: settings.roleArn,
    externalId: settings.externalId,
    endpoint: settings.endpointUrl,
    publicEndpoint: settings.publicEndpointUrl,
    timeouts: { connectTimeoutMs: Math.min(settings.timeoutMs, 10_000), requestTimeoutMs: settings.timeoutMs },
    logger,
  });
  return { logger, tokenSource };
}
