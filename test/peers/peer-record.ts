import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { killPeerProcessSync, stopPeerProcess, type PeerProcess } from './peer-process.ts';

/**
 * What it takes to stop a started peer from any process: its process groups (in start order)
 * and its throw-away directories. Plain JSON, so `testenv down` and the crash sweep can use it.
 */
export interface PeerRecord {
  name: string;
  processes: PeerProcess[];
  dirs: string[];
}

/** Stops the processes in reverse start order (kube-apiserver before its etcd), then removes the dirs. */
export async function stopPeerRecord(record: PeerRecord): Promise<void> {
  for (const peerProcess of [...record.processes].reverse()) await stopPeerProcess(peerProcess);
  for (const dir of record.dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
}

/** The synchronous, SIGKILL version of {@link stopPeerRecord}, for exit and signal handlers. */
export function stopPeerRecordSync(record: PeerRecord): void {
  for (const peerProcess of [...record.processes].reverse()) killPeerProcessSync(peerProcess);
  // A killed process may still be closing files for a moment: retry instead of leaving the dir.
  for (const dir of record.dirs)
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}
