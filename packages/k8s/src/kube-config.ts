import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, quoteInput, registerCredentialPair, registerSecret } from '@ecr-refresh/core';
import { certificateAuthorityDataProblem } from './certificate-authority-data.ts';
import { execPluginProblem } from './exec-credential-plugin.ts';
import { withExplainedFailures } from './explained-failures.ts';
import { createHttpKubeApi } from './http-kube-api.ts';
import type { KubeApi } from './kube-api.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, isNamespaceName } from './options.ts';
import { createAuthentication, type Authentication } from './transport/authentication.ts';
import { EXEC_API_VERSIONS } from './transport/exec-credential.ts';
import { connectionPoolFor, createHttpClient } from './transport/http-client.ts';
import { inClusterKubeconfig, isInCluster } from './transport/in-cluster.ts';
import {
  mergeKubeconfigs,
  parseKubeconfig,
  type KubeCluster,
  type Kubeconfig,
  type KubeContext,
  type KubeUser,
} from './transport/kubeconfig.ts';
import type { RequestPolicy } from './transport/retries.ts';

/** One cluster to serve: a kubeconfig context, its default namespace and its API. */
export interface ClusterConnection {
  /** The context's name (`in-cluster` in a pod); targets are reported as `<context>/<namespace>`. */
  readonly context: string;
  /** The context's namespace (in a pod: the pod's own), `default` when it names none. */
  readonly namespace: string;
  readonly api: KubeApi;
  /**
   * Another cluster of the same Rancher, by cluster id, when this connection goes through
   * Rancher's proxy (`…/k8s/clusters/<id>`): the same server, user and TLS settings under the
   * other cluster's path. Undefined when it does not.
   */
  readonly reach?: ((clusterId: string) => KubeApi) | undefined;
}

/** Where the kubeconfig comes from. */
export interface KubeConfigSource {
  /** An explicit kubeconfig file. */
  readonly kubeconfig?: string | undefined;
  /** Contexts to serve: names, `all`, or (undefined) the current one. */
  readonly contexts?: 'all' | readonly string[] | undefined;
  /** Root under which the in-cluster ServiceAccount files are looked for (tests); default `/`. */
  readonly inClusterRoot?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Milliseconds one API request may wait for an answer; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly timeoutMs?: number | undefined;
  /** Told of each retried API request. */
  readonly onRetry?: RequestPolicy['onRetry'];
  /** How the caller's options are named in errors; default the `k8s` sink's. */
  readonly optionNames?: OptionNames | undefined;
}

/** The names of the kubeconfig and context options, as errors show them (`k8s.kubeconfig: …`). */
export interface OptionNames {
  readonly kubeconfig: string;
  readonly contexts: string;
}

const K8S_OPTION_NAMES: OptionNames = { kubeconfig: 'k8s.kubeconfig', contexts: 'k8s.contexts' };

const IN_CLUSTER = 'the in-cluster ServiceAccount';

/**
 * Loads the kubeconfig as kubectl finds it — `kubeconfig`, else `KUBECONFIG` (several files
 * merged), else `~/.kube/config`, else the pod's ServiceAccount — and returns one connection per
 * chosen context. Clusters without a `proxy-url` go through the proxy HTTPS_PROXY/NO_PROXY name
 * for their server. Synchronous and offline: throws {@link ConfigError} naming the file or
 * context at fault, before any request.
 */
export function connectClusters(source: KubeConfigSource): ClusterConnection[] {
  const env = source.env ?? process.env;
  const names = source.optionNames ?? K8S_OPTION_NAMES;
  const { kubeconfig, origin } = loadKubeconfig(source, env, names);
  const known = kubeconfig.contexts.map((context) => context.name);
  if (known.length === 0)
    throw new ConfigError(`${names.kubeconfig}: ${origin} defines no context`);
  const wanted =
    source.contexts === 'all' ? known : (source.contexts ?? [kubeconfig.currentContext]);
  const problems = wanted.flatMap((name): string[] => {
    if (name === '' || name === undefined)
      return [
        `${names.contexts}: ${origin} has no current-context; name one with --context (known: ${known.join(', ')})`,
      ];
    if (!known.includes(name))
      return [`${names.contexts}: no context "${name}" in ${origin} (known: ${known.join(', ')})`];
    return contextProblems(kubeconfig, name, env, names);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const policy = {
    timeoutMs: source.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    onRetry: source.onRetry,
  };
  return (wanted as string[]).map((name) =>
    connect(
      resolveContext(kubeconfig, name),
      origin === IN_CLUSTER ? 'in-cluster' : name,
      env,
      policy,
    ),
  );
}

function loadKubeconfig(
  source: KubeConfigSource,
  env: NodeJS.ProcessEnv,
  names: OptionNames,
): { kubeconfig: Kubeconfig; origin: string } {
  const fromEnv = env.KUBECONFIG?.split(':').filter((path) => path !== '') ?? [];
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  const inClusterRoot = source.inClusterRoot ?? '';
  let loaded: { kubeconfig: Kubeconfig; origin: string };
  try {
    if (source.kubeconfig !== undefined) {
      loaded = {
        kubeconfig: readKubeconfig(source.kubeconfig),
        origin: `kubeconfig "${source.kubeconfig}"`,
      };
    } else if (fromEnv.length > 0) {
      loaded = {
        kubeconfig: mergeKubeconfigs(fromEnv.map(readKubeconfig)),
        origin: `KUBECONFIG "${fromEnv.join(':')}"`,
      };
    } else if (existsSync(home)) {
      loaded = { kubeconfig: readKubeconfig(home), origin: `kubeconfig "${home}"` };
    } else if (isInCluster(inClusterRoot, env)) {
      loaded = { kubeconfig: inClusterKubeconfig(inClusterRoot, env), origin: IN_CLUSTER };
    } else {
      throw new ConfigError(
        `${names.kubeconfig}: no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a ServiceAccount`,
      );
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      typeof code === 'string' && /^E[A-Z]+$/.test(code)
        ? code
        : ((error as Error).message ?? String(error)).split('\n')[0];
    throw new ConfigError(
      `${names.kubeconfig}: cannot read ${describeSource(source, fromEnv, home)}: ${detail}`,
      { cause: error },
    );
  }
  for (const user of loaded.kubeconfig.users) registerUserSecrets(user);
  return loaded;
}

function readKubeconfig(path: string): Kubeconfig {
  return parseKubeconfig(readFileSync(path, 'utf8'), path);
}

// A Rancher token is `<token name>:<secret>` (kubeconfig-u-…:…): the secret alone is a secret too.
function registerUserSecrets(user: KubeUser): void {
  for (const secret of [
    user.token,
    user.password,
    user.keyData,
    user.authProvider?.config['id-token'],
    user.authProvider?.config['refresh-token'],
  ])
    registerSecret(secret);
  const colon = user.token?.indexOf(':') ?? -1;
  if (user.token !== undefined && colon > 0)
    registerCredentialPair(user.token.slice(0, colon), user.token.slice(colon + 1));
}

function describeSource(
  source: KubeConfigSource,
  fromEnv: readonly string[],
  home: string,
): string {
  if (source.kubeconfig !== undefined) return `"${source.kubeconfig}"`;
  return fromEnv.length > 0 ? `KUBECONFIG "${fromEnv.join(':')}"` : `"${home}"`;
}

/** A context with its cluster and user looked up (either may be missing from the kubeconfig). */
interface ResolvedContext {
  readonly context: KubeContext;
  readonly cluster: KubeCluster | undefined;
  readonly user: KubeUser | undefined;
}

function resolveContext(kubeconfig: Kubeconfig, name: string): ResolvedContext {
  const context = kubeconfig.contexts.find((candidate) => candidate.name === name) as KubeContext;
  return {
    context,
    cluster: kubeconfig.clusters.find((cluster) => cluster.name === context.cluster),
    user: kubeconfig.users.find((user) => user.name === context.user),
  };
}

function contextProblems(
  kubeconfig: Kubeconfig,
  name: string,
  env: NodeJS.ProcessEnv,
  names: OptionNames,
): string[] {
  const { context, cluster, user } = resolveContext(kubeconfig, name);
  const problems: string[] = [];
  const namespace = namespaceOf(context);
  if (!isNamespaceName(namespace))
    problems.push(`${names.contexts}: context "${name}" names an invalid namespace "${namespace}"`);
  if (cluster === undefined) {
    problems.push(
      `${names.contexts}: context "${name}" names a cluster the kubeconfig does not define`,
    );
  } else {
    for (const problem of [
      serverProblem(cluster),
      certificateAuthorityDataProblem(cluster),
      proxyProblem(cluster),
    ]) {
      if (problem !== undefined) problems.push(`${names.contexts}: context "${name}": ${problem}`);
    }
  }
  if (user !== undefined) {
    for (const problem of [
      execPluginProblem(user, env),
      execVersionProblem(user),
      authProviderProblem(user),
    ]) {
      if (problem !== undefined) problems.push(`${names.contexts}: context "${name}": ${problem}`);
    }
  }
  return problems;
}

// These would only show at the first request (a failed target, exit 1); they are mistakes in the
// input, so they are reported with the rest, before any request.
function serverProblem(cluster: KubeCluster): string | undefined {
  const server = quoteInput(cluster.server);
  if (!/^https?:\/\/[^/]/i.test(cluster.server) || !URL.canParse(cluster.server))
    return `server ${server} is not an https:// URL (for example https://203.0.113.10:6443)`;
  if (/^http:/i.test(cluster.server) && cluster.skipTLSVerify !== true) {
    return `server ${server} is plain http://, which the Kubernetes client refuses without insecure-skip-tls-verify; expected an https:// URL`;
  }
  return undefined;
}

function proxyProblem(cluster: KubeCluster): string | undefined {
  if (cluster.proxyUrl === undefined || cluster.proxyUrl === '') return undefined;
  if (URL.canParse(cluster.proxyUrl) && /^https?:$/.test(new URL(cluster.proxyUrl).protocol))
    return undefined;
  return `the proxy-url of cluster "${cluster.name}" is not an http:// or https:// URL (SOCKS proxies are not supported)`;
}

function execVersionProblem(user: KubeUser): string | undefined {
  const version = user.exec?.apiVersion;
  if (
    user.exec === undefined ||
    (EXEC_API_VERSIONS as readonly (string | undefined)[]).includes(version)
  )
    return undefined;
  return `user "${user.name}" has an exec credential plugin of apiVersion ${quoteInput(version ?? '')}; supported: ${EXEC_API_VERSIONS.join(', ')}`;
}

// kubectl removed the gcp and azure providers (1.26); an oidc id-token is a bearer token like any other.
function authProviderProblem(user: KubeUser): string | undefined {
  const provider = user.authProvider;
  if (provider === undefined) return undefined;
  if (provider.name === 'oidc' && (provider.config['id-token'] ?? '') !== '') return undefined;
  const what =
    provider.name === 'oidc'
      ? 'the oidc auth-provider without an id-token'
      : `the auth-provider ${quoteInput(provider.name)}`;
  return (
    `user "${user.name}" uses ${what}, which ecr-refresh does not support (kubectl removed its auth-providers too): ` +
    'use an exec credential plugin instead (kubelogin, gke-gcloud-auth-plugin, aws eks get-token)'
  );
}

function namespaceOf(context: KubeContext): string {
  return context.namespace?.trim() || 'default';
}

/** One context's connection: one pool and one authentication for its API and every Rancher cluster it reaches. */
function connect(
  resolved: ResolvedContext,
  reportedAs: string,
  env: NodeJS.ProcessEnv,
  policy: RequestPolicy,
): ClusterConnection {
  const cluster = resolved.cluster as KubeCluster;
  const user = resolved.user ?? { name: resolved.context.user };
  const shared: SharedConnection = {
    agent: connectionPoolFor(cluster),
    authentication: createAuthentication(cluster, user, env),
    user: user.name,
    policy,
  };
  return {
    context: reportedAs,
    namespace: namespaceOf(resolved.context),
    api: apiAt(cluster.server, reportedAs, shared),
    reach: rancherClusters(cluster.server, reportedAs, shared),
  };
}

interface SharedConnection {
  readonly agent: ReturnType<typeof connectionPoolFor>;
  readonly authentication: Authentication;
  readonly user: string;
  readonly policy: RequestPolicy;
}

/** The API at `server` over the context's connection, its failures naming the server and the user. */
function apiAt(
  server: string,
  reportedAs: string,
  { agent, authentication, user, policy }: SharedConnection,
): KubeApi {
  const http = createHttpClient({ server, agent, authentication, policy, target: reportedAs });
  return withExplainedFailures(createHttpKubeApi(http), { server, user });
}

// Rancher's proxy serves each cluster it manages under this path of its server.
const RANCHER_CLUSTER_PATH = /\/k8s\/clusters\/[^/]+\/*$/;

/**
 * When the context goes through Rancher's proxy (`https://<rancher>/k8s/clusters/<id>`), the
 * other clusters of that Rancher by id: the same server, user, CA and proxy under the other
 * cluster's path (a Rancher token is valid for every cluster its user may reach, unless it is
 * scoped to one). Undefined for any other server.
 */
function rancherClusters(
  server: string,
  reportedAs: string,
  shared: SharedConnection,
): ClusterConnection['reach'] {
  if (!URL.canParse(server) || !RANCHER_CLUSTER_PATH.test(new URL(server).pathname))
    return undefined;
  // A new client per call, not a cache: it is a few closures over the shared pool, and a
  // long-running fleet service must not keep one per cluster that has ever come and gone.
  return (clusterId) =>
    apiAt(
      server.replace(RANCHER_CLUSTER_PATH, `/k8s/clusters/${encodeURIComponent(clusterId)}`),
      `${reportedAs} (cluster ${clusterId})`,
      shared,
    );
}
