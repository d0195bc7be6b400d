import { readFileSync } from 'node:fs';
import { ConfigError, registerSecret } from '@ecr-refresh/core';
import {
  createRancher1Sink,
  validateRancher1SinkOptions,
  type Rancher1SinkOptions,
} from '@ecr-refresh/rancher1';
import type { ExitStatus } from '../../exit-status.ts';
import { resolveSettings } from '../../options/settings.ts';
import { last } from '../../options/flag-values.ts';
import type { SharedArgs } from '../../options/shared-options.ts';
import { runRefresh } from '../../run/run-refresh.ts';

/** Arguments of `ecr-refresh rancher1`. */
export interface Rancher1Args extends SharedArgs {
  url?: string | undefined;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  environment?: string[] | undefined;
  autoCreate: boolean;
  activate: boolean;
  caFile?: string | undefined;
  concurrency: number;
}

/** How each sink option is given, for messages: a problem names the flag and the variable. */
const INPUTS: Readonly<Record<string, string>> = {
  url: 'url (--url or CATTLE_URL)',
  accessKey: 'access-key (--access-key or CATTLE_ACCESS_KEY)',
  secretKey: 'secret-key (--secret-key or CATTLE_SECRET_KEY)',
  environments: 'environment (--environment)',
  ca: 'ca-file (--ca-file)',
  concurrency: 'concurrency (--concurrency)',
};

/**
 * `ecr-refresh rancher1`: the Rancher 1.x sink. The connection comes from the flags, else from
 * `CATTLE_URL`, `CATTLE_ACCESS_KEY` and `CATTLE_SECRET_KEY` (what a catalog container with the
 * agent labels receives). Every problem with them and with the shared options is reported at
 * once (exit 64) before any request.
 */
export async function runRancher1(
  args: Rancher1Args,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitStatus> {
  const secretKey = given(args.secretKey) ?? env.CATTLE_SECRET_KEY;
  registerSecret(secretKey);
  const { options, problems } = sinkOptionsOf(args, env, secretKey);
  if (problems.length > 0) throw new ConfigError([...sharedProblems(args), ...problems]);
  return runRefresh(args, (settings) => [
    createRancher1Sink({ ...options, email: settings.email, timeoutMs: settings.timeoutMs }),
  ]);
}

function sinkOptionsOf(
  args: Rancher1Args,
  env: NodeJS.ProcessEnv,
  secretKey: string | undefined,
): { options: Rancher1SinkOptions; problems: string[] } {
  const problems: string[] = [];
  const url = given(args.url) ?? env.CATTLE_URL;
  const accessKey = given(args.accessKey) ?? env.CATTLE_ACCESS_KEY;
  for (const [name, value] of [
    ['url', url],
    ['accessKey', accessKey],
    ['secretKey', secretKey],
  ] as const) {
    if (value === undefined || value.trim() === '')
      problems.push(`${INPUTS[name]}: required, and not given`);
  }
  const caFile = given(args.caFile);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      problems.push(
        `${INPUTS.ca}: cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  const options: Rancher1SinkOptions = {
    url: url ?? '',
    accessKey: accessKey ?? '',
    secretKey: secretKey ?? '',
    environments: (args.environment ?? []).map(String).filter((name) => name.trim() !== ''),
    autoCreate: args.autoCreate,
    activate: args.activate,
    concurrency: last(args.concurrency),
    ...(ca === undefined ? {} : { ca }),
  };
  if (problems.length === 0) {
    problems.push(
      ...validateRancher1SinkOptions(options).map(
        (problem) => `${INPUTS[problem.path] ?? problem.path}: ${problem.message}`,
      ),
    );
  }
  return { options, problems };
}

/** The shared options' problems, so one run reports them together with ours. */
function sharedProblems(args: SharedArgs): readonly string[] {
  try {
    resolveSettings(args);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/**
 * A string option's value, or undefined when it is absent or empty: a catalog answer left blank
 * arrives as an empty ECR_REFRESH_* variable and must fall back to the CATTLE_* one.
 */
function given(value: string | string[] | undefined): string | undefined {
  const chosen = last(value);
  return chosen === undefined || chosen.trim() === '' ? undefined : chosen;
}
