import { join } from 'node:path';
import { freePort } from '../free-port.ts';
import type { PeerLaunch } from '../peer-launch.ts';
import type { SpawnedPeerProcess } from '../peer-process.ts';

/** A started etcd: its client URL and process. */
export interface StartedEtcd {
  clientUrl: string;
  process: SpawnedPeerProcess;
}

/**
 * Spawns a single-member etcd on free loopback ports with its data in `dir`. Flags follow
 * controller-runtime's envtest; `--unsafe-no-fsync` because the data is thrown away anyway.
 * Does not wait: kube-apiserver retries etcd until it answers, and its /readyz covers both.
 */
export async function spawnEtcd(
  launch: PeerLaunch,
  etcdBinary: string,
  dir: string,
): Promise<StartedEtcd> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcdProcess = launch.spawn(
    etcdBinary,
    [
      '--name',
      'test',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `test=${peerUrl}`,
      '--unsafe-no-fsync',
      '--log-level',
      'warn',
    ],
    { cwd: dir, logPath: join(dir, 'etcd.log') },
  );
  return { clientUrl, process: etcdProcess };
}
