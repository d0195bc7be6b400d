import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** A peer's server process as recorded: enough to find and stop it from another process later. */
export interface PeerProcess {
  pid: number;
  /** The executable as spawned, for messages. */
  command: string;
  /** Its arguments joined by spaces: checked against /proc before a kill, so a reused pid is left alone. */
  args: string;
  logPath: string;
}

/** A process this Node process spawned: the record plus what is only known to its parent. */
export interface SpawnedPeerProcess extends PeerProcess {
  /** Why it is gone ("exit code 1", "signal SIGKILL"), or undefined while it runs. */
  exitReason(): string | undefined;
}

/** Options of {@link spawnPeerProcess}. */
export interface SpawnPeerOptions {
  cwd: string;
  /** stdout and stderr both go here: a file never blocks the child the way an unread pipe does. */
  logPath: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a server in its own process group (`detached`), with output to a file and unref'd, so it
 * never keeps Node alive and outlives Node only on purpose (`testenv up`). The whole group is
 * stopped by {@link stopPeerProcess}; a crashed test run is swept by the exit cleanup.
 */
export function spawnPeerProcess(
  command: string,
  args: readonly string[],
  options: SpawnPeerOptions,
): SpawnedPeerProcess {
  const log = openSync(options.logPath, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    let exitReason: string | undefined;
    child.once('error', (error) => {
      exitReason = `could not start: ${error.message}`;
    });
    child.once('exit', (code, signal) => {
      exitReason = signal === null ? `exit code ${code}` : `signal ${signal}`;
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return {
      pid: child.pid,
      command,
      args: args.join(' '),
      logPath: options.logPath,
      exitReason: () => exitReason,
    };
  } finally {
    closeSync(log);
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped by a parent that is gone) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * True when `pid` still runs the recorded arguments, so signalling it cannot hit a stranger.
 * Arguments, not argv[0]: launchers such as pyenv's shims exec the real interpreter by another path.
 */
export function isSameProcess(record: PeerProcess): boolean {
  if (!isProcessAlive(record.pid)) return false;
  try {
    const commandLine = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').join(' ');
    return commandLine.includes(record.args);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what the caller wants.
  }
}

/**
 * Stops a peer's process group: SIGTERM, then SIGKILL after `graceMs`, and resolves once the
 * leader is gone. A pid that no longer runs the recorded command is left alone.
 */
export async function stopPeerProcess(record: PeerProcess, graceMs = 5000): Promise<void> {
  if (!isSameProcess(record)) return;
  signalGroup(record.pid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (isProcessAlive(record.pid)) {
    if (Date.now() > killAt) signalGroup(record.pid, 'SIGKILL');
    if (Date.now() > killAt + 5000)
      throw new Error(`${record.command} (pid ${record.pid}) survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs a peer's process group at once: for exit handlers, which cannot wait. */
export function killPeerProcessSync(record: PeerProcess): void {
  if (isSameProcess(record)) signalGroup(record.pid, 'SIGKILL');
}
