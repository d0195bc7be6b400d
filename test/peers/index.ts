// The test peers, started at most once per test run and stopped by the mocha root hook.
import { startCattle, type Cattle } from './cattle/cattle-server.ts';
import { startKubeApiServer, type KubeApiServer } from './kube/kube-apiserver.ts';
import { startRancher2, type Rancher2 } from './rancher2/rancher-server.ts';
import { startMoto, type Moto } from './moto.ts';
import { startTinyproxy, type Tinyproxy } from './tinyproxy.ts';

export type { KubeApiServer } from './kube/kube-apiserver.ts';
export type { KubeResponse, KubeRequestOptions } from './kube/admin-client.ts';
export type { AuditEvent } from './kube/audit-log.ts';
export type {
  Moto,
  MotoIamCredentials,
  MotoIamAuthOptions,
  MotoRoleOptions,
  MotoTemporaryCredentials,
} from './moto.ts';
export type { Tinyproxy } from './tinyproxy.ts';
export type { Cattle } from './cattle/cattle-server.ts';
export type {
  CattleEnvironment,
  CattleKey,
  CattleRole,
  CattleResponse,
  PullCredential,
  StoredCredential,
  StoredRegistry,
} from './cattle/cattle-admin.ts';
export { startCattle } from './cattle/cattle-server.ts';
export type { Rancher2 } from './rancher2/rancher-server.ts';
export { startRancher2 } from './rancher2/rancher-server.ts';
export type { RancherProjectRef, RancherResponse, RancherSession } from './rancher2/rancher-api.ts';
export {
  bindRancherProjectRole,
  createRancherNamespace,
  createRancherProject,
  createRancherUser,
} from './rancher2/rancher-api.ts';
export type { PeerStartOptions } from './peer-launch.ts';
export type { PeerRecord } from './peer-record.ts';
export { startKubeApiServer } from './kube/kube-apiserver.ts';
export { startMoto, MOTO_ACCOUNT_ID } from './moto.ts';
export { startTinyproxy } from './tinyproxy.ts';
export { startPodIdentityAgent } from './pod-identity-agent.ts';
export type {
  PodIdentityAgent,
  PodIdentityCredentials,
  PodIdentityRequest,
} from './pod-identity-agent.ts';
export { freePort } from './free-port.ts';
export { startFaultProxy } from './fault-proxy.ts';
export { startEcrPublicStandIn } from './ecr-public.ts';
export type { EcrPublicRequest, EcrPublicStandIn, EcrPublicStandInOptions } from './ecr-public.ts';
export { startConnectionRecorder, type ConnectionRecorder } from './connection-recorder.ts';
export type { Fault, FaultProxy, SeenRequest } from './fault-proxy.ts';
export {
  startRancherProxy,
  type NamespaceView,
  type RancherForwardedRequest,
  type RancherProxy,
  type RancherProxyOptions,
  type RancherRefusedRequest,
  type RancherTokenOptions,
  type RancherUser,
} from './rancher-proxy.ts';
export {
  formatCertString,
  rancherKubeconfigText,
  writeRancherKubeconfig,
  writeRancherTokenCommand,
  type RancherAuthorizedEndpoint,
  type RancherKubeconfigOptions,
  type RancherKubeconfigUser,
} from './rancher-kubeconfig.ts';

interface Singleton<T extends { stop(): Promise<void> }> {
  use(): Promise<T>;
  stop(): Promise<void>;
}

/** A peer started on first use; a failed start is forgotten so the next use tries again. */
function singleton<T extends { stop(): Promise<void> }>(start: () => Promise<T>): Singleton<T> {
  let started: Promise<T> | undefined;
  return {
    use() {
      started ??= start().catch((error: unknown) => {
        started = undefined;
        throw error;
      });
      return started;
    },
    async stop() {
      const running = started;
      started = undefined;
      if (running !== undefined) await (await running.catch(() => undefined))?.stop();
    },
  };
}

const kube = singleton(() => startKubeApiServer());
const moto = singleton(() => startMoto());
const tinyproxy = singleton(() => startTinyproxy());
const cattle = singleton(async () => {
  const started = await startCattle();
  // The suite's biggest fixed cost, so it is reported: a cold start creates the whole schema.
  process.stderr.write(
    `[cattle] ${started.version} ready on ${started.origin} in ${(started.startMs / 1000).toFixed(1)} s\n`,
  );
  return started;
});

const rancher2 = singleton(async () => {
  const started = await startRancher2();
  process.stderr.write(
    `[rancher2] Rancher ${started.version} ready on ${started.origin} in ${(started.startMs / 1000).toFixed(1)} s\n`,
  );
  return started;
});

/**
 * The run's kube-apiserver (+ etcd), started on first call (a few seconds warm; builds the
 * binaries first when they are not cached). Shared by every suite: use unique namespaces.
 */
export function useKube(): Promise<KubeApiServer> {
  return kube.use();
}

/** The run's moto server, started on first call. Shared: call `reset()` in a suite's `beforeEach` if it needs a clean state. */
export function useMoto(): Promise<Moto> {
  return moto.use();
}

/** The run's tinyproxy, started on first call (installed from Debian's packages when missing). */
export function useTinyproxy(): Promise<Tinyproxy> {
  return tinyproxy.use();
}

/**
 * The run's real Cattle (Rancher 1.6's API server), started on first call: 20–50 s on its empty
 * database, after building the WAR when it is not cached. Access control is on (a wrong key gets
 * a real 401). Shared by every suite: create environments of your own (`createEnvironment`).
 */
export function useCattle(): Promise<Cattle> {
  return cattle.use();
}

/**
 * Starts Cattle in the background without waiting, so its first start overlaps the suites that
 * run before the first Rancher 1.x suite (the root hook calls this when such a suite is in the
 * run). A failed start surfaces, and is tried again, at the first `useCattle()`.
 */
export function prewarmCattle(): void {
  cattle.use().catch(() => undefined);
}

/**
 * The run's real Rancher 2.x (v2.15.0), started on first call on a private API server of its own
 * (its `local` cluster), logged in as its admin: about 15–60 s, after building the binary when
 * it is not cached (about 10 min). One per machine (see rancher2/README.md): a second test run
 * waits for the first one's Rancher to stop. Shared by every suite: make projects of your own.
 */
export function useRancher2(): Promise<Rancher2> {
  return rancher2.use();
}

/**
 * Starts Rancher 2.x in the background without waiting (the root hook calls this when a suite
 * that uses it is in the run). A failed start surfaces, and is tried again, at `useRancher2()`.
 */
export function prewarmRancher2(): void {
  rancher2.use().catch(() => undefined);
}

/** Stops every peer started through `use…()` (the mocha root hook calls this in afterAll). */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([kube.stop(), moto.stop(), tinyproxy.stop(), cattle.stop(), rancher2.stop()]);
}
