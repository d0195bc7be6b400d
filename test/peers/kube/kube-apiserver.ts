import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../free-port.ts';
import { logTail } from '../log-tail.ts';
import { launchPeer, type PeerStartOptions } from '../peer-launch.ts';
import { stopPeerProcess, type SpawnedPeerProcess } from '../peer-process.ts';
import type { PeerRecord } from '../peer-record.ts';
import { waitUntil } from '../wait-until.ts';
import { createKubeAdminClient, type KubeAdminClient } from './admin-client.ts';
import { AUDIT_POLICY, readAuditEvents, type AuditEvent } from './audit-log.ts';
import { ensureKubeBinaries } from './binaries.ts';
import { spawnEtcd } from './etcd.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { createKubePki } from './pki.ts';
import { noteSecret } from '../../support/leak-collector.ts';

/** A running kube-apiserver (with its etcd) and admin helpers. */
export interface KubeApiServer extends KubeAdminClient {
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** Admin kubeconfig (client certificate in `system:masters`), JSON. */
  kubeconfigPath: string;
  /** The CA that signed the serving certificate (and the client certificates). */
  caPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  /** Kubernetes version of the binaries, e.g. `1.37.2` (`kube-apiserver --version` for KUBEBUILDER_ASSETS); `/version` reports `v1.37.2`. */
  version: string;
  /** The throw-away directory (certs, etcd data, logs, audit.log), removed by stop(). */
  dir: string;
  /** Writes a kubeconfig that logs in with `token` (e.g. a ServiceAccount's) and returns its path. */
  kubeconfigForToken(token: string, namespace?: string): Promise<string>;
  /** The audit events (stage ResponseComplete and others) of one user so far, oldest first. */
  auditEvents(username: string): Promise<AuditEvent[]>;
  /**
   * Stops kube-apiserver (etcd keeps running, so every object survives), then starts it again on
   * the same port and resolves once `/readyz` answers `ok`: connections and watches drop as in a
   * control-plane upgrade. `whileDown` runs in between (to act while the server is away).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Stops kube-apiserver and etcd (process groups), waits for them and removes the directory. */
  stop(): Promise<void>;
  record: PeerRecord;
}

function apiServerArgs(
  dir: string,
  port: number,
  etcdUrl: string,
  pki: Awaited<ReturnType<typeof createKubePki>>,
): string[] {
  const server = `https://127.0.0.1:${port}`;
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    // Without a default route the server cannot pick an address to advertise. Since 1.37 the
    // endpoint reconciler refuses a loopback address ("may not be in the loopback range"), and
    // nothing here needs the `kubernetes` Service's endpoints, so it is turned off.
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${pki.serverCertPath}`,
    `--tls-private-key-file=${pki.serverKeyPath}`,
    `--client-ca-file=${pki.caPath}`,
    // TokenRequest needs an issuer and a signing key; no kube-controller-manager is involved.
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${pki.serviceAccountPubPath}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyPath}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // RBAC for real: AlwaysAllow would make every permission test pass.
    '--authorization-mode=RBAC',
    // Nothing creates default ServiceAccounts without a controller-manager; pods would be refused.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
    `--audit-log-path=${join(dir, 'audit.log')}`,
    '--audit-log-maxbackup=1',
    '--profiling=false',
  ];
}

/**
 * Starts etcd and kube-apiserver on free loopback ports in a throw-away directory (TLS from an
 * own CA, client-certificate admin, RBAC, ServiceAccount tokens, Metadata audit log) and
 * resolves once `/readyz` answers `ok`. The binaries come from `KUBEBUILDER_ASSETS` when it is
 * set, else the cache, else they are built first (see binaries.ts).
 */
export async function startKubeApiServer(options: PeerStartOptions = {}): Promise<KubeApiServer> {
  const binaries = await ensureKubeBinaries();
  return launchPeer('kube', options, async (launch) => {
    const dir = await launch.makeDir();
    const [pki, port] = await Promise.all([createKubePki(dir), freePort()]);
    await writeFile(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
    const etcd = await spawnEtcd(launch, binaries.etcd, dir);
    const server = `https://127.0.0.1:${port}`;
    const admin = await createKubeAdminClient({
      server,
      caPath: pki.caPath,
      certPath: pki.adminCertPath,
      keyPath: pki.adminKeyPath,
    });
    const startApiServer = async (): Promise<SpawnedPeerProcess> => {
      const apiServer = launch.spawn(
        binaries.kubeApiServer,
        apiServerArgs(dir, port, etcd.clientUrl, pki),
        { cwd: dir, logPath: join(dir, 'kube-apiserver.log') },
      );
      await waitReady(admin, binaries.version, apiServer, etcd.process);
      return apiServer;
    };
    let apiServer = await startApiServer();

    const kubeconfigPath = await writeKubeconfig(join(dir, 'kubeconfig'), {
      server,
      caPath: pki.caPath,
      user: { clientCertificate: pki.adminCertPath, clientKey: pki.adminKeyPath },
    });
    let tokenConfigs = 0;
    return {
      ...admin,
      server,
      kubeconfigPath,
      caPath: pki.caPath,
      adminCertPath: pki.adminCertPath,
      adminKeyPath: pki.adminKeyPath,
      version: binaries.version,
      dir,
      kubeconfigForToken(token, namespace) {
        noteSecret(token);
        tokenConfigs += 1;
        return writeKubeconfig(join(dir, `kubeconfig-token-${tokenConfigs}`), {
          server,
          caPath: pki.caPath,
          user: { token },
          ...(namespace === undefined ? {} : { namespace }),
        });
      },
      auditEvents: (username) => readAuditEvents(join(dir, 'audit.log'), username),
      async restart(whileDown) {
        await stopPeerProcess(apiServer);
        await whileDown?.();
        apiServer = await startApiServer();
      },
      stop: () => launch.stop(),
      record: launch.record,
    };
  });
}

async function waitReady(
  admin: KubeAdminClient,
  version: string,
  apiServer: SpawnedPeerProcess,
  etcd: SpawnedPeerProcess,
): Promise<void> {
  await waitUntil(
    async () => {
      const readyz = await admin.request('GET', '/readyz');
      return readyz.status === 200;
    },
    {
      what: `kube-apiserver v${version} /readyz`,
      timeoutMs: 60_000,
      intervalMs: 200,
      abortIf: () => {
        const reason = apiServer.exitReason() ?? etcd.exitReason();
        return reason === undefined
          ? undefined
          : `${apiServer.exitReason() === undefined ? 'etcd' : 'kube-apiserver'} stopped (${reason})`;
      },
    },
  ).catch(async (error: Error) => {
    const logs = `--- kube-apiserver.log\n${await logTail(apiServer.logPath)}\n--- etcd.log\n${await logTail(etcd.logPath)}`;
    throw new Error(`${error.message}\n${logs}`, { cause: error });
  });
}
