import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaleRuns, trackPeer, untrackPeer, updateTrackedPeer } from './exit-cleanup.ts';
import {
  spawnPeerProcess,
  type SpawnedPeerProcess,
  type SpawnPeerOptions,
} from './peer-process.ts';
import { stopPeerRecord, type PeerRecord } from './peer-record.ts';

/** Options every `start…()` peer function takes. */
export interface PeerStartOptions {
  /**
   * Leave the processes running when this Node process exits (`testenv up`): the caller keeps
   * the returned `record` and stops it later with `stopPeerRecord`. Default false: the peer is
   * stopped on exit or signal, and swept by the next run if this one crashes.
   */
  detached?: boolean;
  /** Where the throw-away directory is created; default the OS temp dir. */
  baseDir?: string;
}

/** A peer being started: everything spawned or created through it is stopped together. */
export interface PeerLaunch {
  readonly record: PeerRecord;
  /** Creates the peer's throw-away directory (removed on stop). */
  makeDir(): Promise<string>;
  spawn(command: string, args: readonly string[], options: SpawnPeerOptions): SpawnedPeerProcess;
  /** Stops every process (reverse order), removes the dirs; safe to call twice. */
  stop(): Promise<void>;
  /** Startup succeeded: a detached peer is handed over to its caller and no longer stopped on exit. */
  ready(): void;
}

let swept = false;

/**
 * Begins starting the peer `name`. Until {@link PeerLaunch.ready}, an exit or signal stops what
 * was started so far, so an interrupted start leaves nothing behind in either mode.
 */
export function beginPeerLaunch(name: string, options: PeerStartOptions = {}): PeerLaunch {
  if (!swept) {
    swept = true;
    sweepStaleRuns();
  }
  const record: PeerRecord = { name, processes: [], dirs: [] };
  trackPeer(record);
  let stopped: Promise<void> | undefined;
  return {
    record,
    async makeDir() {
      const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), `ecr-refresh-${name}-`));
      record.dirs.push(dir);
      updateTrackedPeer(record);
      return dir;
    },
    spawn(command, args, spawnOptions) {
      const spawned = spawnPeerProcess(command, args, spawnOptions);
      record.processes.push({
        pid: spawned.pid,
        command: spawned.command,
        args: spawned.args,
        logPath: spawned.logPath,
      });
      updateTrackedPeer(record);
      return spawned;
    },
    stop() {
      stopped ??= stopPeerRecord(record).finally(() => untrackPeer(record));
      return stopped;
    },
    ready() {
      if (options.detached === true) untrackPeer(record);
    },
  };
}

/**
 * Runs `start` with a fresh launch; when it throws, stops what it had started before rethrowing,
 * so a failed start never leaks a process or a directory.
 */
export async function launchPeer<T>(
  name: string,
  options: PeerStartOptions,
  start: (launch: PeerLaunch) => Promise<T>,
): Promise<T> {
  const launch = beginPeerLaunch(name, options);
  try {
    const peer = await start(launch);
    launch.ready();
    return peer;
  } catch (error) {
    await launch.stop().catch(() => undefined);
    throw error;
  }
}
