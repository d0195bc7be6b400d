import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { noteSecret, recordCapture } from './leak-collector.ts';

/** What a finished `ecr-refresh` process left: its status and everything it printed. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

const BIN = join(
  import.meta.dirname,
  '..',
  '..',
  'packages',
  'cli',
  'dist',
  'bundle',
  'ecr-refresh.js',
);

/** A CLI process still running (`--watch`), with what it printed so far. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process exits. */
  readonly exited: Promise<CliRun>;
}

// Where a run's secrets come from: its environment and its --secret-key flag.
const SECRET_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'CATTLE_SECRET_KEY',
  'ECR_REFRESH_SECRET_KEY',
];
const SECRET_FLAG = '--secret-key';

function noteSecretsOf(args: readonly string[], env: Record<string, string | undefined>): void {
  for (const name of SECRET_VARIABLES) noteSecret(env[name]);
  args.forEach((arg, index) => {
    if (arg === SECRET_FLAG) noteSecret(args[index + 1]);
    else if (arg.startsWith(`${SECRET_FLAG}=`)) noteSecret(arg.slice(SECRET_FLAG.length + 1));
  });
}

/**
 * Hands a finished run's output to the leak check. `ecr-refresh token` prints the password on
 * standard output on purpose: that stream of that command alone is left out.
 */
function recordRun(args: readonly string[], stdout: string, stderr: string): void {
  const command = args.find((arg) => !arg.startsWith('-'));
  const source = `ecr-refresh ${args.join(' ').slice(0, 160)}`;
  if (command !== 'token') recordCapture(`${source} (stdout)`, stdout);
  recordCapture(`${source} (stderr)`, stderr);
}

/**
 * Starts the built CLI as a user does, with an environment made only of `env` plus PATH and HOME:
 * nothing of the developer's AWS or proxy settings leaks in. Killed after `timeoutMs`. Its secrets
 * and output go to the leak check (see leak-collector.ts).
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): RunningCli {
  noteSecretsOf(args, env);
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: env.HOME ?? process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      recordRun(args, stdout, stderr);
      resolve({ status, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Runs the built CLI to completion; see {@link startCli}. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  return startCli(args, env, timeoutMs).exited;
}

/** Dummy credentials moto accepts while its IAM auth is off. */
export const DUMMY_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-tests-only',
  AWS_REGION: 'eu-west-1',
};

/** A loopback endpoint where nothing listens: a command that calls it fails, so using it proves no call was made. */
export const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/**
 * Reads one of the service's endpoints (/healthz, /readyz, /metrics) and records the body for the
 * leak check, as everything the CLI prints is recorded.
 */
export async function readEndpoint(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  const body = await response.text();
  recordCapture(`GET ${url}`, body);
  return { status: response.status, body };
}
