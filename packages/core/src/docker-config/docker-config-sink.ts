import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { combinedRecord } from '../credential/registry-credential.ts';
import { toEcrRefreshError } from '../errors.ts';
import type { ApplyContext, Sink, TargetResult, ValidationProblem } from '../sink/sink.ts';
import {
  decodeDockerConfig,
  encodeDockerConfig,
  mergeCredentials,
  type DockerConfig,
} from './docker-config.ts';
import { nextState, readState, recordFor, stateFilePath } from './docker-config-state.ts';

/** Options of {@link createDockerConfigSink}. */
export interface DockerConfigSinkOptions {
  /** The file to write; default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  path?: string | undefined;
  /** An `email` to put in each entry (some old tools require one). */
  email?: string | undefined;
}

const SINK_ID = 'docker-config';

/** The default docker config path, as the docker CLI resolves it. */
function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/**
 * A sink that merges ECR credentials into a docker `config.json`. The file is read, merged (every
 * other registry, `credHelpers`, `credsStore` and setting kept), and written atomically (temp file
 * + rename) with mode 0600 under a lock, so a concurrent run or a crash never leaves it half
 * written. A file that is not valid JSON is reported as failed and left untouched.
 */
export function createDockerConfigSink(options: DockerConfigSinkOptions = {}): Sink {
  const path = options.path ?? defaultDockerConfigPath();
  return {
    id: SINK_ID,
    async validate() {
      return validateConfigFile(path);
    },
    async apply(context) {
      return [await applyToFile(path, options.email, context)];
    },
  };
}

async function validateConfigFile(path: string): Promise<ValidationProblem[]> {
  let text: string | undefined;
  try {
    text = await readIfExists(path);
  } catch (error) {
    // A path the user gave that cannot be read is bad input (exit 64), found before any request.
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EISDIR'
        ? `${path} is a directory; expected the path of a config.json file`
        : `cannot read ${path}: ${code ?? (error as Error).message}`;
    return [{ path: SINK_ID, message }];
  }
  if (text === undefined) return [];
  try {
    decodeDockerConfig(text, path);
    return [];
  } catch (error) {
    return [{ path, message: (error as Error).message }];
  }
}

async function applyToFile(
  path: string,
  email: string | undefined,
  context: ApplyContext,
): Promise<TargetResult> {
  const base = { sink: SINK_ID, target: path };
  const hosts = context.registries.map((registry) => registry.host);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(path, {
      realpath: false,
      stale: 30_000,
      retries: { retries: 20, minTimeout: 50, maxTimeout: 1_000 },
    });
    try {
      const text = await readIfExists(path);
      const config: DockerConfig = text === undefined ? {} : decodeDockerConfig(text, path);
      const state = await readState(stateFilePath(path));
      const record = recordFor(state, config, hosts);
      if (!context.needsRefresh(record)) {
        return {
          ...base,
          action: 'unchanged',
          ...(record === undefined ? {} : { record }),
          reason: 'still fresh',
        };
      }
      const credentials = await context.credentials();
      const action = record === undefined && hostsMissing(config, hosts) ? 'created' : 'updated';
      const written = hosts.flatMap((host) => credentials.get(host) ?? []);
      const newRecord = combinedRecord(written);
      if (context.dryRun) return { ...base, action, dryRun: true, record: newRecord };
      await writeFileAtomic(path, encodeDockerConfig(mergeCredentials(config, written, email)), {
        mode: 0o600,
      });
      await writeFileAtomic(
        stateFilePath(path),
        `${JSON.stringify(nextState(state, written), null, 2)}\n`,
        { mode: 0o600 },
      );
      return { ...base, action, record: newRecord };
    } finally {
      await release();
    }
  } catch (error) {
    const cause = toEcrRefreshError(error, `cannot update ${path}`);
    return { ...base, action: 'failed', error: cause };
  }
}

function hostsMissing(config: DockerConfig, hosts: readonly string[]): boolean {
  const present = new Set(Object.keys(config.auths ?? {}));
  return hosts.every((host) => !present.has(host));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
