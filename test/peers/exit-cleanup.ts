import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './peer-process.ts';
import { stopPeerRecordSync, type PeerRecord } from './peer-record.ts';

/**
 * Peers started for this process are written here (one JSON file each, with the owner's pid) so
 * that the next run can stop what a crashed or SIGKILLed run left behind: our own exit handlers
 * cannot run then, and the peers live in their own process groups, so nothing else stops them.
 */
const RUNS_DIR = join(tmpdir(), 'ecr-refresh-peers');

interface RunFile {
  ownerPid: number;
  record: PeerRecord;
}

const tracked = new Map<PeerRecord, string>();
let handlersInstalled = false;
let sequence = 0;

function stopAllTrackedSync(): void {
  for (const [record, runFile] of tracked) {
    stopPeerRecordSync(record);
    rmSync(runFile, { force: true });
  }
  tracked.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', stopAllTrackedSync);
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.once(signal, () => {
      stopAllTrackedSync();
      process.exit(128 + number);
    });
  }
}

/**
 * Stops the peers of earlier runs whose owner process is gone, and removes their directories.
 * A pid reused by an unrelated process is safe: a process is only signalled when it still runs
 * the recorded arguments.
 */
export function sweepStaleRuns(): void {
  let names: string[];
  try {
    names = readdirSync(RUNS_DIR);
  } catch {
    return;
  }
  for (const name of names.filter((entry) => entry.endsWith('.json'))) {
    const path = join(RUNS_DIR, name);
    try {
      const run = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
      if (run.ownerPid === process.pid || isProcessAlive(run.ownerPid)) continue;
      process.stderr.write(
        `[peers] stopping ${run.record.name} left by crashed run ${run.ownerPid}\n`,
      );
      stopPeerRecordSync(run.record);
    } catch {
      // An unreadable file was half-written by a crash: nothing in it can be stopped.
    }
    rmSync(path, { force: true });
  }
}

/**
 * Makes this process responsible for `record`: it is stopped (SIGKILL, dirs removed) when the
 * process exits or gets SIGINT/SIGTERM/SIGHUP, and by the next run's sweep if this one crashes.
 * Call {@link untrackPeer} once it has been stopped normally.
 */
export function trackPeer(record: PeerRecord): void {
  installHandlers();
  mkdirSync(RUNS_DIR, { recursive: true });
  sequence += 1;
  tracked.set(record, join(RUNS_DIR, `${process.pid}-${sequence}-${record.name}.json`));
  updateTrackedPeer(record);
}

/** Rewrites the crash record of a tracked peer after a process or dir was added to it. */
export function updateTrackedPeer(record: PeerRecord): void {
  const runFile = tracked.get(record);
  if (runFile !== undefined)
    writeFileSync(runFile, JSON.stringify({ ownerPid: process.pid, record } satisfies RunFile));
}

/** Forgets a peer that has been stopped: its exit handler and crash record are no longer needed. */
export function untrackPeer(record: PeerRecord): void {
  const runFile = tracked.get(record);
  if (runFile !== undefined) rmSync(runFile, { force: true });
  tracked.delete(record);
}
