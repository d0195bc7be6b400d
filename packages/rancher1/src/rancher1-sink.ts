import {
  registerCredentialPair,
  toEcrRefreshError,
  type ApplyContext,
  type Sink,
  type TargetResult,
} from '@ecr-refresh/core';
import pLimit from 'p-limit';
import { createCattleClient } from './cattle-client.ts';
import { resolveEnvironments, type EnvironmentChoice } from './environments.ts';
import {
  resolveRancher1Options,
  type Rancher1SinkOptions,
  type ResolvedRancher1Options,
} from './options.ts';
import { SINK_ID, updateEnvironment } from './update-environment.ts';

// The v1 API requires an e-mail with every credential; ECR has none. A reserved domain says so.
const PLACEHOLDER_EMAIL = 'ecr-refresh@example.invalid';

/**
 * A sink that keeps Rancher 1.x (Cattle) registry credentials fresh: for every environment and
 * every ECR host, the `registry` whose `serverAddress` is that host gets its credential updated
 * in place (PUT, never delete and re-create: containers reference the credential's id), or
 * created when missing; the registry itself is created with `autoCreate`. Targets are named
 * `<environment name or id>/<host>`.
 *
 * Throws `ConfigError` listing every invalid option; registers the secret key for
 * redaction at once. `apply` never throws: each target fails alone (a key Rancher refuses fails
 * every target of the environments it was used for).
 */
export function createRancher1Sink(options: Rancher1SinkOptions): Sink {
  const resolved = resolveRancher1Options(options);
  registerCredentialPair(resolved.accessKey, resolved.secretKey);
  return {
    id: SINK_ID,
    // Everything that can be checked without a request was checked above.
    validate: async () => [],
    apply: (context) => applyAll(resolved, context),
  };
}

async function applyAll(
  options: ResolvedRancher1Options,
  context: ApplyContext,
): Promise<TargetResult[]> {
  const client = createCattleClient({
    apiRoot: options.endpoint.apiRoot,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    ca: options.ca,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    signal: context.signal,
    onRetry: (retry) =>
      context.logger.warn({ sink: SINK_ID, ...retry }, 'Rancher request failed; retrying'),
  });
  try {
    const hosts = context.registries.map((registry) => registry.host);
    let choices: EnvironmentChoice[];
    try {
      choices = await resolveEnvironments(
        client,
        options.endpoint,
        options.accessKey,
        options.environments,
      );
    } catch (error) {
      const label =
        options.environments.join(',') || options.endpoint.projectId || options.endpoint.apiRoot;
      const cause = toEcrRefreshError(error, 'cannot list Rancher environments');
      return hosts.map((host) => ({
        sink: SINK_ID,
        target: `${label}/${host}`,
        action: 'failed',
        error: cause,
      }));
    }
    const limit = pLimit(options.concurrency);
    const update = {
      client,
      context,
      version: options.endpoint.version,
      autoCreate: options.autoCreate,
      activate: options.activate,
      email: options.email ?? PLACEHOLDER_EMAIL,
    };
    const perEnvironment = await Promise.all(
      choices.map((choice) =>
        'environment' in choice
          ? limit(() => updateEnvironment(choice.environment, update))
          : hosts.map(
              (host): TargetResult => ({
                sink: SINK_ID,
                target: `${choice.label}/${host}`,
                action: 'failed',
                error: choice.error,
              }),
            ),
      ),
    );
    context.logger.debug({ requests: client.requests }, 'Rancher requests sent');
    return perEnvironment.flat();
  } finally {
    client.close();
  }
}
