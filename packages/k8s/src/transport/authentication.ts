import { readFile } from 'node:fs/promises';
import { registerSecret } from '@ecr-refresh/core';
import { isCurrent, runExecCredentialPlugin, type ExecCredential } from './exec-credential.ts';
import type { KubeCluster, KubeUser } from './kubeconfig.ts';

/** What every request to one cluster carries: its `Authorization` and the TLS settings of its connection. */
export interface RequestCredentials {
  /** `Bearer <token>` or `Basic <base64>`; undefined for a client certificate alone. */
  readonly authorization?: string | undefined;
  readonly tls: TlsSettings;
}

/** The TLS options of a connection to the API server, as `https.request` takes them. */
export interface TlsSettings {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string | undefined;
}

/** The credentials of a kubeconfig user at a cluster, kept current. */
export interface Authentication {
  /** The credentials to send now; one load for every request that finds them due. */
  current(): Promise<RequestCredentials>;
  /** The server refused them (401): a credential plugin's answer is dropped, and the plugin runs again for the next request. */
  refused(): void;
}

// Often enough for a rotated ServiceAccount token file (the kubelet renews it well before it
// expires, and client-go reads it once a minute too) and rotated certificate files; rare enough to
// cost nothing per request.
const FILES_TTL_MS = 60_000;

/**
 * The authentication of `user` at `cluster`: a token, a token file (read again every minute), a
 * client certificate and key (data or files), basic auth, an `oidc` auth-provider's `id-token`
 * (as a bearer token; never refreshed), or an exec credential plugin, whose answer is kept until
 * its `expirationTimestamp` (or, without one, until the server refuses it). The cluster's CA is
 * read with the rest. Other auth-providers are refused by the kubeconfig checks before any request.
 * `env` is what a credential plugin inherits.
 */
export function createAuthentication(
  cluster: KubeCluster,
  user: KubeUser,
  env: NodeJS.ProcessEnv,
  now: () => number = Date.now,
): Authentication {
  let loaded: { readonly credentials: RequestCredentials; readonly until: number } | undefined;
  let pending: Promise<RequestCredentials> | undefined;
  let plugin: ExecCredential | undefined;

  const due = (): boolean =>
    loaded === undefined ||
    now() >= loaded.until ||
    (plugin !== undefined && !isCurrent(plugin, now()));
  const load = async (): Promise<RequestCredentials> => {
    if (user.exec !== undefined && (plugin === undefined || !isCurrent(plugin, now())))
      plugin = await runExecCredentialPlugin(user.exec, cluster, env);
    const [ca, cert, key, fileToken] = await Promise.all([
      cluster.caData !== undefined && cluster.caData !== ''
        ? Buffer.from(cluster.caData.replace(/\s+/g, ''), 'base64')
        : readIfNamed(cluster.caFile),
      plugin?.clientCertificateData !== undefined
        ? Buffer.from(plugin.clientCertificateData)
        : decodedOr(user.certData, user.certFile),
      plugin?.clientKeyData !== undefined
        ? Buffer.from(plugin.clientKeyData)
        : decodedOr(user.keyData, user.keyFile),
      readIfNamed(user.tokenFile).then((token) => token?.toString('utf8').trim() || undefined),
    ]);
    registerSecret(fileToken);
    const credentials: RequestCredentials = {
      authorization: authorizationOf(
        plugin?.token ?? fileToken ?? user.token ?? oidcIdToken(user),
        user,
      ),
      tls: {
        ca,
        cert,
        key,
        rejectUnauthorized: cluster.skipTLSVerify !== true,
        servername: cluster.tlsServerName,
      },
    };
    loaded = { credentials, until: now() + FILES_TTL_MS };
    return credentials;
  };

  return {
    async current() {
      if (!due()) return (loaded as NonNullable<typeof loaded>).credentials;
      pending ??= load().finally(() => (pending = undefined));
      return pending;
    },
    refused() {
      if (user.exec === undefined) return;
      plugin = undefined;
      loaded = undefined;
    },
  };
}

/** The `id-token` of an `oidc` auth-provider: sent as it is, never refreshed (kubectl's own provider is gone too). */
function oidcIdToken(user: KubeUser): string | undefined {
  if (user.authProvider?.name !== 'oidc') return undefined;
  const token = user.authProvider.config['id-token'];
  return token === undefined || token === '' ? undefined : token;
}

function authorizationOf(token: string | undefined, user: KubeUser): string | undefined {
  if (token !== undefined && token !== '') return `Bearer ${token}`;
  if (user.username !== undefined && user.password !== undefined)
    return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  return undefined;
}

async function decodedOr(
  data: string | undefined,
  file: string | undefined,
): Promise<Buffer | undefined> {
  return data !== undefined && data !== ''
    ? Buffer.from(data.replace(/\s+/g, ''), 'base64')
    : readIfNamed(file);
}

async function readIfNamed(file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  const content = await readFile(file);
  // An empty file (a pod's ca.crt before it is written) is no setting at all.
  return content.length === 0 ? undefined : content;
}
