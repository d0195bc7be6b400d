import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Agent, createServer, request, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { noteSecret } from '../support/leak-collector.ts';
import type { KubeApiServer } from './kube/kube-apiserver.ts';

/** A Rancher user: its id (`u-xxxxx`, or the older `user-xxxxx`) and its groups. */
export interface RancherUser {
  readonly id: string;
  /** Groups sent as `Impersonate-Group` besides `system:cattle:authenticated`, which every authenticated user has. */
  readonly groups?: readonly string[];
}

/** Options of {@link RancherProxy.issueToken}. */
export interface RancherTokenOptions {
  /** A cluster-scoped token (`kubeconfig-u-xxxxx.<clusterId>:…`), valid for this cluster only. */
  readonly clusterId?: string;
}

/** One request the proxy forwarded to the API server. */
export interface RancherForwardedRequest {
  readonly method: string;
  /** The cluster id the request was addressed to. */
  readonly clusterId: string;
  /** Path and query as forwarded, the `/k8s/clusters/<id>` prefix removed: `/api/v1/namespaces?limit=500`. */
  readonly path: string;
  /** The Rancher user id the request was impersonated as. */
  readonly user: string;
  /** `proxy`: through `/k8s/clusters/<id>`; `endpoint`: through the cluster's authorized cluster endpoint. */
  readonly via: 'proxy' | 'endpoint';
}

/** One request the proxy answered itself: 401 (no or a wrong token) or 404 (outside every cluster prefix). */
export interface RancherRefusedRequest {
  readonly method: string;
  /** The path as received, prefix included. */
  readonly path: string;
  readonly status: 401 | 404;
}

/** Options of {@link startRancherProxy}. */
export interface RancherProxyOptions {
  /** Cluster ids served under `/k8s/clusters/<id>`, all by the one API server; default `local` and `c-test`. */
  readonly clusterIds?: readonly string[];
  /** Cluster ids served by an API server of their own (downstream clusters); also served under their prefix. */
  readonly downstream?: Readonly<Record<string, KubeApiServer>>;
  /** Cluster ids whose agent is gone: served under their prefix, but the connection to them fails (502). */
  readonly unreachable?: readonly string[];
  /**
   * For cluster ids that share an API server with others (a benchmark's many clusters on a few
   * servers): which of the server's namespaces belong to the cluster. A list of namespaces, or of
   * a namespaced kind across all namespaces (`/api/v1/secrets`), then answers only the cluster's
   * items, as the cluster alone would. Watches and requests inside a namespace are not filtered.
   */
  readonly namespaceViews?: Readonly<Record<string, NamespaceView>>;
}

/** Whether a namespace of the shared API server belongs to the cluster. */
export type NamespaceView = (namespace: string) => boolean;

/** Rancher's cluster proxy in front of the run's kube-apiserver, with an authorized cluster endpoint per cluster. */
export interface RancherProxy {
  /** Rancher's URL, `https://127.0.0.1:<port>` (what `rancher token --server=…` names). */
  readonly url: string;
  /** PEM of the CA that signed the certificate of the proxy and of every endpoint (the kube peer's CA). */
  readonly caPem: string;
  /** The same CA as a file, for NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
  readonly clusterIds: readonly string[];
  /** The `server` Rancher writes for a cluster: `<url>/k8s/clusters/<clusterId>`. */
  serverFor(clusterId: string): string;
  /**
   * The cluster's authorized cluster endpoint, `https://127.0.0.1:<port>` (no path): what the
   * `<cluster>-fqdn` context of Rancher's kubeconfig points at. Rancher's kube-api-auth webhook
   * lets the API server accept Rancher's tokens there; this peer checks them itself.
   */
  endpointFor(clusterId: string): string;
  /**
   * Registers a new kubeconfig token of `user` and returns it as Rancher writes it into a
   * kubeconfig: `kubeconfig-<userId>:<secret>`, or `kubeconfig-<userId>.<clusterId>:<secret>`
   * when cluster-scoped. Noted for the leak check.
   */
  issueToken(user: RancherUser, options?: RancherTokenOptions): string;
  /** Makes a token unknown from now on, as an expired or deleted Rancher token is (401). */
  revokeToken(token: string): void;
  /**
   * Serves one more downstream cluster from now on, by `server` (which may already serve another
   * id: clusters can share an API server behind distinct ids), with its authorized endpoint; as
   * when Rancher registers a cluster whose agent connects.
   */
  addDownstream(clusterId: string, server: KubeApiServer): Promise<void>;
  /** Every forwarded request, oldest first. */
  readonly forwarded: readonly RancherForwardedRequest[];
  /** Forwarded requests to the cluster whose answer has not ended yet (open watches): 0 once every one closed. */
  openRequests(clusterId: string): number;
  /** Every request answered 401 or 404, oldest first. */
  readonly refused: readonly RancherRefusedRequest[];
  /** Connections accepted so far, by the proxy and the endpoints (TLS handshakes included): 0 proves that no request was even tried. */
  readonly connections: number;
  /** Empties `forwarded` and `refused` and sets `connections` to 0. */
  clearRecords(): void;
  /** Closes every connection (watches included) and the listeners. */
  stop(): Promise<void>;
}

interface IssuedToken {
  readonly user: RancherUser;
  readonly clusterId: string | undefined;
}

const CLUSTER_PREFIX = /^\/k8s\/clusters\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
// Rancher's token secrets: 54 characters from this alphabet (no vowels, no look-alikes).
const SECRET_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SECRET_LENGTH = 54;
const AUTHENTICATED_GROUP = 'system:cattle:authenticated';
// Hop-by-hop and identity headers: a client never chooses whom the API server sees.
const DROPPED_REQUEST_HEADERS = new Set([
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'te',
  'upgrade',
]);

function rancherSecret(): string {
  return [...randomBytes(SECRET_LENGTH)]
    .map((byte) => SECRET_ALPHABET[byte % SECRET_ALPHABET.length])
    .join('');
}

/** A Kubernetes `Status` answer, as the API server and Rancher's proxy send for 401 and 404. */
function answerStatus(outgoing: ServerResponse, code: 401 | 404, message: string): void {
  const reason = code === 401 ? 'Unauthorized' : 'NotFound';
  outgoing.writeHead(code, { 'content-type': 'application/json' });
  outgoing.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}

/**
 * Starts Rancher's cluster proxy on 127.0.0.1 in front of `kube`: every cluster id in
 * `options.clusterIds` is served under `/k8s/clusters/<id>` by that one API server (so it plays
 * the management and the downstream cluster alike); the prefix is stripped before forwarding,
 * paths outside a known prefix get 404. Requests must carry `Authorization: Bearer <token>` with
 * a token from {@link RancherProxy.issueToken} (else 401 with a Kubernetes Status body); they
 * are forwarded as the API server's admin (client certificate) with `Impersonate-User` and
 * `Impersonate-Group` headers, so the API server's RBAC applies to the Rancher user, as Rancher's
 * proxy impersonates. Each cluster also gets an authorized cluster endpoint (its own port, no
 * prefix, same tokens). TLS with the API server's serving certificate (valid for 127.0.0.1);
 * answers are streamed, so watches work.
 */
export async function startRancherProxy(
  kube: KubeApiServer,
  options: RancherProxyOptions = {},
): Promise<RancherProxy> {
  const downstream = options.downstream ?? {};
  const views = options.namespaceViews ?? {};
  const unreachable = options.unreachable ?? [];
  const clusterIds: string[] = [
    ...(options.clusterIds ?? ['local', 'c-test']),
    ...Object.keys(downstream),
    ...unreachable,
  ];
  const [cert, key] = (await Promise.all(
    [join(kube.dir, 'apiserver.crt'), join(kube.dir, 'apiserver.key')].map((path) =>
      readFile(path, 'utf8'),
    ),
  )) as [string, string];
  const main = await upstreamOf(kube);
  const upstreams = new Map<string, Upstream>();
  for (const [clusterId, server] of Object.entries(downstream))
    upstreams.set(clusterId, await upstreamOf(server));
  // Nothing listens on port 9 (discard): the agent of an unreachable cluster is gone.
  for (const clusterId of unreachable)
    upstreams.set(clusterId, { url: new URL('https://127.0.0.1:9'), agent: main.agent });
  const upstreamFor = (clusterId: string): Upstream => upstreams.get(clusterId) ?? main;
  const ca = main.ca;
  const tokens = new Map<string, IssuedToken>();
  const forwarded: RancherForwardedRequest[] = [];
  const refused: RancherRefusedRequest[] = [];
  const open = new Map<string, number>();
  const sockets = new Set<Socket>();
  const upstreamRequests = new Set<ReturnType<typeof request>>();
  let connections = 0;

  /** The Rancher user a bearer token stands for at this cluster, or undefined (401). */
  function authenticate(
    authorization: string | undefined,
    clusterId: string,
  ): RancherUser | undefined {
    const issued = tokens.get(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');
    if (issued === undefined || (issued.clusterId !== undefined && issued.clusterId !== clusterId))
      return undefined;
    return issued.user;
  }

  function impersonatingHeaders(
    incoming: IncomingMessage,
    user: RancherUser,
    upstream: URL,
  ): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (!DROPPED_REQUEST_HEADERS.has(name) && !name.startsWith('impersonate-'))
        headers[name] = value;
    }
    return {
      ...headers,
      host: upstream.host,
      'impersonate-user': user.id,
      'impersonate-group': [AUTHENTICATED_GROUP, ...(user.groups ?? [])],
    };
  }

  function forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    clusterId: string,
    path: string,
    via: RancherForwardedRequest['via'],
  ): void {
    const method = incoming.method ?? 'GET';
    const user = authenticate(incoming.headers.authorization, clusterId);
    if (user === undefined) {
      refused.push({ method, path: incoming.url ?? '/', status: 401 });
      incoming.resume();
      answerStatus(outgoing, 401, 'Unauthorized');
      return;
    }
    forwarded.push({ method, clusterId, path, user: user.id, via });
    open.set(clusterId, (open.get(clusterId) ?? 0) + 1);
    outgoing.on('close', () => open.set(clusterId, (open.get(clusterId) ?? 1) - 1));
    const upstream = upstreamFor(clusterId);
    const view = views[clusterId];
    const filtered = view !== undefined && method === 'GET' && isCollectionList(path);
    const headers = impersonatingHeaders(incoming, user, upstream.url);
    // Uncompressed, so the answer can be filtered.
    if (filtered) delete headers['accept-encoding'];
    const proxied = request(
      {
        hostname: upstream.url.hostname,
        port: upstream.url.port,
        path,
        method,
        headers,
        agent: upstream.agent,
      },
      (answer) => {
        const json = answer.headers['content-type']?.startsWith('application/json') === true;
        if (filtered && answer.statusCode === 200 && json)
          answerInView(answer, outgoing, view).catch(() => outgoing.destroy());
        else {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        }
      },
    );
    upstreamRequests.add(proxied);
    proxied.on('close', () => upstreamRequests.delete(proxied));
    proxied.on('error', () =>
      outgoing.headersSent ? outgoing.destroy() : outgoing.writeHead(502).end(),
    );
    // A client that hangs up (the end of a watch) ends the upstream request too.
    outgoing.on('close', () => proxied.destroy());
    incoming.pipe(proxied);
  }

  function track(server: Server): Server {
    // TCP connections, so a client that gave up during the TLS handshake counts too.
    server.on('connection', (socket: Socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return server;
  }

  async function listen(server: Server): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  const proxy = track(
    createServer({ cert, key }, (incoming, outgoing) => {
      const match = CLUSTER_PREFIX.exec(incoming.url ?? '/');
      const clusterId = match?.[1];
      if (match === null || clusterId === undefined || !clusterIds.includes(clusterId)) {
        refused.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', status: 404 });
        incoming.resume();
        answerStatus(outgoing, 404, 'the server could not find the requested resource');
        return;
      }
      forward(incoming, outgoing, clusterId, `${match[2] ?? '/'}${match[3] ?? ''}`, 'proxy');
    }),
  );
  const servers = [proxy];
  const endpointUrls = new Map<string, string>();
  /** The cluster's authorized cluster endpoint: its own port, no prefix. */
  async function listenAsEndpoint(clusterId: string): Promise<void> {
    const endpoint = track(
      createServer({ cert, key }, (incoming, outgoing) => {
        forward(incoming, outgoing, clusterId, incoming.url ?? '/', 'endpoint');
      }),
    );
    servers.push(endpoint);
    endpointUrls.set(clusterId, await listen(endpoint));
  }
  const url = await listen(proxy);
  for (const clusterId of clusterIds) await listenAsEndpoint(clusterId);

  const known = (clusterId: string): string => {
    if (!clusterIds.includes(clusterId))
      throw new Error(
        `the Rancher proxy serves no cluster "${clusterId}" (it serves ${clusterIds.join(', ')})`,
      );
    return clusterId;
  };

  return {
    url,
    caPem: ca,
    caPath: kube.caPath,
    clusterIds,
    serverFor: (clusterId) => `${url}/k8s/clusters/${known(clusterId)}`,
    endpointFor: (clusterId) => endpointUrls.get(known(clusterId)) as string,
    issueToken(user, tokenOptions = {}) {
      const name = `kubeconfig-${user.id}${tokenOptions.clusterId === undefined ? '' : `.${known(tokenOptions.clusterId)}`}`;
      const secret = rancherSecret();
      const token = `${name}:${secret}`;
      tokens.set(token, { user, clusterId: tokenOptions.clusterId });
      noteSecret(token);
      noteSecret(secret);
      return token;
    },
    revokeToken: (token) => void tokens.delete(token),
    async addDownstream(clusterId, server) {
      if (clusterIds.includes(clusterId))
        throw new Error(`the Rancher proxy already serves cluster "${clusterId}"`);
      upstreams.set(clusterId, await upstreamOf(server));
      await listenAsEndpoint(clusterId);
      clusterIds.push(clusterId);
    },
    forwarded,
    openRequests: (clusterId) => open.get(clusterId) ?? 0,
    refused,
    get connections() {
      return connections;
    },
    clearRecords() {
      forwarded.length = 0;
      refused.length = 0;
      connections = 0;
    },
    async stop() {
      for (const proxied of upstreamRequests) proxied.destroy();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      for (const upstream of [main, ...upstreams.values()]) upstream.agent.destroy();
    },
  };
}

// A list across the whole cluster, not a watch: `/api/v1/secrets`, `/apis/<group>/<version>/<plural>`.
const COLLECTION = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/[a-z0-9]+$/;

function isCollectionList(path: string): boolean {
  const [route = '', query = ''] = path.split('?');
  const watch = new URLSearchParams(query).get('watch');
  return COLLECTION.test(route) && watch !== 'true' && watch !== '1';
}

/**
 * Sends `answer` (a list) with only the items in `view`: a Namespace by its name, a namespaced
 * object by its namespace; cluster-scoped objects of other kinds are kept.
 */
async function answerInView(
  answer: IncomingMessage,
  outgoing: ServerResponse,
  view: NamespaceView,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of answer) chunks.push(chunk as Buffer);
  const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    kind?: string;
    items?: Array<{ metadata?: { name?: string; namespace?: string } }>;
  };
  const inView = (item: { metadata?: { name?: string; namespace?: string } }): boolean => {
    if (list.kind === 'NamespaceList') return view(item.metadata?.name ?? '');
    const namespace = item.metadata?.namespace;
    return namespace === undefined || view(namespace);
  };
  const body = JSON.stringify({ ...list, items: (list.items ?? []).filter(inView) });
  const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
  outgoing.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
  outgoing.end(body);
}

/** An API server the proxy forwards to, as its admin (client certificate). */
interface Upstream {
  readonly url: URL;
  readonly agent: Agent;
}

/** The API server as an upstream, and the PEM of its CA. */
async function upstreamOf(kube: KubeApiServer): Promise<Upstream & { readonly ca: string }> {
  const [ca, cert, key] = await Promise.all(
    [kube.caPath, kube.adminCertPath, kube.adminKeyPath].map((path) => readFile(path, 'utf8')),
  );
  return {
    url: new URL(kube.server),
    agent: new Agent({ keepAlive: true, ca, cert, key }),
    ca: ca as string,
  };
}
