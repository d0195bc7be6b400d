// podman as it runs on these machines: no Docker engine, a sandbox where crun and the default
// ulimits fail, so every call goes through runc, the cgroupfs manager and a containers.conf that
// sets no ulimits. Shared by `npm run image`, the image's end-to-end test and its benchmark.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** What a finished podman call left: its status and everything it printed. */
export interface PodmanRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link podman}. */
export interface PodmanOptions {
  /** Killed (SIGKILL) after this long; the run then resolves with a null status. */
  timeoutMs?: number;
  /** Stream podman's output to our stderr as it comes (builds: minutes of progress). */
  showProgress?: boolean;
}

const GLOBAL_FLAGS = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
const INSTALL_SCRIPT = join(import.meta.dirname, 'install-podman.sh');

/**
 * The cache of the image tooling, outside the clone so that CI and later runs reuse it:
 * `$ECR_REFRESH_CACHE/image` (default `~/.cache/ecr-refresh/image`), beside the test peers' caches.
 */
export function imageCacheDir(): string {
  const root =
    process.env.ECR_REFRESH_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ecr-refresh');
  return join(root, 'image');
}

let environment: Promise<NodeJS.ProcessEnv> | undefined;

/** The environment podman runs with: ours plus CONTAINERS_CONF, unless the caller set one. */
function podmanEnvironment(): Promise<NodeJS.ProcessEnv> {
  environment ??= (async () => {
    if (process.env.CONTAINERS_CONF !== undefined) return process.env;
    const dir = imageCacheDir();
    await mkdir(dir, { recursive: true });
    const conf = join(dir, 'containers.conf');
    // The sandbox refuses to raise limits: podman's default ulimits make every container fail.
    await writeFile(conf, '[containers]\ndefault_ulimits = []\n');
    return { ...process.env, CONTAINERS_CONF: conf };
  })();
  return environment;
}

/** Starts `podman <args>` with this machine's global flags, its output piped: for callers that stream it. */
export async function spawnPodman(
  args: readonly string[],
): Promise<ChildProcessByStdio<null, Readable, Readable>> {
  return spawn('podman', [...GLOBAL_FLAGS, ...args], {
    env: await podmanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `podman <args>` with this machine's global flags; resolves for every exit status. */
export async function podman(
  args: readonly string[],
  options: PodmanOptions = {},
): Promise<PodmanRun> {
  const child = await spawnPodman(args);
  return new Promise((resolve, reject) => {
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.showProgress === true) process.stderr.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.showProgress === true) process.stderr.write(chunk);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `podman <args>` and resolves with its trimmed stdout; rejects naming the call and podman's last words. */
export async function podmanChecked(
  args: readonly string[],
  options: PodmanOptions = {},
): Promise<string> {
  const run = await podman(args, options);
  if (run.status !== 0) {
    const said = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `podman ${args.slice(0, 2).join(' ')} failed (${run.status === null ? 'killed' : `exit ${run.status}`}): ${said}`,
    );
  }
  return run.stdout.trim();
}

/**
 * Makes sure podman can work here: installs podman and runc from Debian's packages when missing
 * (as root), then asks podman about its host. Resolves with the reason it cannot, or undefined.
 */
export async function podmanUnavailableReason(): Promise<string | undefined> {
  const install = await runBash(INSTALL_SCRIPT);
  if (install !== 0)
    return `podman and runc are not installed and ${INSTALL_SCRIPT} could not install them`;
  const info = await podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], {
    timeoutMs: 60_000,
  });
  if (info.status !== 0)
    return `podman cannot run here: ${info.stderr.trim().split('\n').at(-1) ?? 'no reason given'}`;
  return undefined;
}

function runBash(script: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', resolve);
  });
}
