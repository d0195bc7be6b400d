// The real Rancher 2.x server (the `rancher` binary of rancher/rancher, built from source by
// build.sh) run against a private kube-apiserver of its own: no pods, no kubelet, no webhook.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { noteSecret } from '../../support/leak-collector.ts';
import { cacheRoot } from '../cache-root.ts';
import { commandAvailable } from '../command-available.ts';
import { freePort } from '../free-port.ts';
import { httpRequest } from '../http-request.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube/kube-apiserver.ts';
import { logTail } from '../log-tail.ts';
import { launchPeer, type PeerLaunch, type PeerStartOptions } from '../peer-launch.ts';
import type { SpawnedPeerProcess } from '../peer-process.ts';
import type { PeerRecord } from '../peer-record.ts';
import { runScript } from '../run-script.ts';
import { waitUntil } from '../wait-until.ts';
import { createRancherApi, type RancherSession } from './rancher-api.ts';

/** A running real Rancher 2.x on loopback, logged in as its admin. */
export interface Rancher2 extends RancherSession {
  /** `https://127.0.0.1:<port>`: the UI's and API's origin (`/v3`, `/v1`, `/k8s/clusters/local`). */
  readonly origin: string;
  /** The release built, from test/peers/rancher2/VERSION (`v2.15.0`). */
  readonly version: string;
  /** Rancher's own API server (its `local` cluster): admin requests, audit log, ServiceAccount tokens. */
  readonly kube: KubeApiServer;
  /** The admin's Rancher API token (`token-xxxxx:<secret>`), from the login with the bootstrap password. */
  readonly adminToken: string;
  /** The kubeconfig Rancher issues the admin for the `local` cluster (`…/k8s/clusters/local`). */
  readonly adminKubeconfigPath: string;
  /** Rancher's CA (the `cacerts` setting), PEM. */
  readonly caPem: string;
  /** The throw-away working directory (Rancher's state, its log), removed by stop(). */
  readonly dir: string;
  /** How long Rancher took from its spawn (its API server already up) to the admin's kubeconfig, in ms. */
  readonly startMs: number;
  stop(): Promise<void>;
  readonly record: PeerRecord;
}

const HERE = import.meta.dirname;
const BUILD_SCRIPT = join(HERE, 'build.sh');
// Rancher starts the controllers of each cluster it manages with this line; `local` is its own.
const LOCAL_CONTROLLERS_STARTED = 'Starting cluster agent for local ';
// Until the `local` controllers run: 15–45 s here, generous for a loaded machine; plus, when
// another Rancher runs on this machine, the wait for it to stop (see the lock below).
const START_TIMEOUT_MS = 240_000;
const LOCK_WAIT_SECONDS = 1800;
// Restarts after Rancher exits during its start, as its pod would be restarted.
const START_RETRIES = 2;

/**
 * Builds Rancher when the cache lacks it (build.sh), starts a private kube-apiserver and Rancher
 * on free loopback ports in a throw-away directory, and resolves once the `local` cluster's
 * controllers run and the admin has logged in with the bootstrap password.
 *
 * One Rancher per machine: its extension API port (6666) and log socket (`/tmp/log.sock`) are
 * fixed in its code. Rancher runs under `flock` on `<cache>/rancher2/.run.lock`, so a second
 * start (another test run) waits until the first Rancher has stopped.
 */
export async function startRancher2(options: PeerStartOptions = {}): Promise<Rancher2> {
  if (!(await commandAvailable('flock')))
    throw new Error('flock (util-linux) is required to run the Rancher 2.x test peer');
  const binary = await runScript(BUILD_SCRIPT);
  const version = (await readFile(join(HERE, 'VERSION'), 'utf8')).trim();
  const kube = await startKubeApiServer(options);
  try {
    return await launchPeer('rancher2', options, async (launch) => {
      const started = Date.now();
      const dir = await launch.makeDir();
      const bootstrapPassword = randomBytes(12).toString('hex');
      noteSecret(bootstrapPassword);
      const { origin, caPem } = await runRancher(
        launch,
        binary,
        version,
        kube,
        dir,
        bootstrapPassword,
      );
      const admin = await createRancherApi(origin, caPem).login('admin', bootstrapPassword);
      const adminKubeconfigPath = join(dir, 'local-admin.yaml');
      await writeFile(adminKubeconfigPath, await admin.generateKubeconfig('local'));
      const startMs = Date.now() - started;
      const stop = async () => {
        await launch.stop();
        await kube.stop();
      };
      return {
        ...admin,
        origin,
        version,
        kube,
        adminToken: admin.token,
        adminKubeconfigPath,
        caPem,
        dir,
        startMs,
        stop,
        record: launch.record,
      };
    });
  } catch (error) {
    await kube.stop();
    throw error;
  }
}

/**
 * Spawns Rancher under the machine-wide lock and waits until its `local` controllers run and it
 * answers on its HTTPS port with the certificate of its CA (read from its API server).
 */
async function runRancher(
  launch: PeerLaunch,
  binary: string,
  version: string,
  kube: KubeApiServer,
  dir: string,
  bootstrapPassword: string,
): Promise<{ origin: string; caPem: string }> {
  const [httpPort, httpsPort, profilePort] = [
    await freePort(),
    await freePortPair(),
    await freePort(),
  ];
  const origin = `https://127.0.0.1:${httpsPort}`;
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  const lock = join(cacheRoot(), 'rancher2', '.run.lock');
  await mkdir(join(cacheRoot(), 'rancher2'), { recursive: true });
  if (!lockFree(lock)) {
    process.stderr.write(
      `[rancher2] another Rancher runs on this machine (lock ${lock}): waiting for it to stop\n`,
    );
  }
  const args = [
    '--exclusive',
    '--wait',
    String(LOCK_WAIT_SECONDS),
    lock,
    binary,
    '--bind-host=127.0.0.1',
    `--http-listen-port=${httpPort}`,
    `--https-listen-port=${httpsPort}`,
    `--profile-listen-address=127.0.0.1:${profilePort}`,
    '--add-local=true',
  ];
  const env = rancherEnv(kube, dir, tmp, version, bootstrapPassword);
  for (let attempt = 1; ; attempt += 1) {
    const server = launch.spawn('flock', args, {
      cwd: dir,
      logPath: join(dir, `rancher-${attempt}.log`),
      env,
    });
    try {
      return await waitServing(server, kube, origin, `Rancher ${version} on ${origin}`);
    } catch (error) {
      const log = await logTail(server.logPath, 40);
      const exited = server.exitReason();
      // On an empty etcd Rancher's first start can lose a race with its own controllers and exit
      // ("failed to add management data: … the object has been modified"); Kubernetes would
      // restart its pod, and so does the peer, on the state it left.
      if (exited === undefined || attempt > START_RETRIES)
        throw new Error(`${(error as Error).message}\n--- rancher.log\n${log}`, { cause: error });
      const fatal = log.split('\n').find((line) => line.includes('[FATAL]')) ?? exited;
      process.stderr.write(
        `[rancher2] Rancher exited while starting (${fatal.slice(0, 300)}): starting it again\n`,
      );
    }
  }
}

/** Waits until Rancher's `local` controllers run and it answers on HTTPS with the certificate of its CA. */
async function waitServing(
  server: SpawnedPeerProcess,
  kube: KubeApiServer,
  origin: string,
  what: string,
): Promise<{ origin: string; caPem: string }> {
  const abortIf = () =>
    server.exitReason() === undefined ? undefined : `rancher stopped (${server.exitReason()})`;
  await waitUntil(
    async () => (await logTail(server.logPath, 100_000)).includes(LOCAL_CONTROLLERS_STARTED),
    {
      what: `${what}: controllers of the local cluster`,
      timeoutMs: START_TIMEOUT_MS + LOCK_WAIT_SECONDS * 1000,
      intervalMs: 250,
      abortIf,
    },
  );
  const caPem = await readCaCerts(kube);
  await waitUntil(
    async () =>
      (await httpRequest(`${origin}/ping`, { tls: { ca: caPem }, timeoutMs: 5000 })).status === 200,
    {
      what: `${what}: /ping`,
      timeoutMs: 60_000,
      intervalMs: 250,
      abortIf,
    },
  );
  return { origin, caPem };
}

/**
 * What Rancher runs with: only these variables (no proxy settings of the developer, no
 * KUBECONFIG but its API server's), as rancher2-real-server.md found it needs them.
 */
function rancherEnv(
  kube: KubeApiServer,
  dir: string,
  tmp: string,
  version: string,
  bootstrapPassword: string,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    TMPDIR: tmp,
    KUBECONFIG: kube.kubeconfigPath,
    // State under the working directory instead of /opt/jail.
    CATTLE_DEV_MODE: '1',
    CATTLE_BOOTSTRAP_PASSWORD: bootstrapPassword,
    // As Rancher's image sets it: the `server-version` Setting then says the release, not `dev`.
    CATTLE_SERVER_VERSION: version,
    // No remote-dialer proxy: it needs a pod.
    IMPERATIVE_API_DIRECT: 'true',
    // The extension API (v1.ext.cattle.io) never becomes available without pods; by default
    // Rancher exits after 5 minutes of waiting for it.
    AGGREGATION_REGISTRATION_TIMEOUT: '10000h',
    // The system charts from the binary, not a `git clone`.
    CATTLE_SYSTEM_CATALOG: 'bundled',
  };
}

/** Rancher's CA, as its `cacerts` Setting states it once Rancher has made the CA at its first start. */
async function readCaCerts(kube: KubeApiServer): Promise<string> {
  let pem = '';
  await waitUntil(
    async () => {
      const setting = await kube.request('GET', '/apis/management.cattle.io/v3/settings/cacerts');
      pem = setting.status === 200 ? String(setting.body.value ?? '') : '';
      return pem.includes('BEGIN CERTIFICATE');
    },
    { what: "Rancher's cacerts Setting", timeoutMs: 60_000, intervalMs: 250 },
  );
  return pem;
}

/** A free loopback port whose successor is free too: Rancher serves its internal API on HTTPS port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await portFree(port + 1))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port }, () => probe.close(() => resolve(true)));
  });
}

/** Whether nobody holds `lock` right now (only for the message: the real wait is flock's). */
function lockFree(lock: string): boolean {
  return spawnSync('flock', ['--nonblock', lock, 'true']).status === 0;
}
