import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';
import { ConfigError, proxyUrlFor, quoteInput, registerCredentialPair, registerSecret } from '@ecr-refresh/core';
import { certificateAuthorityDataProblem } from './certificate-authority-data.ts';
import { createClientNodeApi } from './client-node-api.ts';
import { execPluginProblem } from './exec-credential-plugin.ts';
import { withExplainedFailures } from './explained-failures.ts';
import type { KubeApi } from './kube-api.ts';
import type { RequestPolicy } from './request-http-library.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, isNamespaceName } from './options.ts';

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

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const IN_CLUSTER = 'the in-cluster ServiceAccount';

/**
 * Loads the kubeconfig as kubectl finds it — `kubeconfig`, else `KUBECONFIG` (several files
 * merged), else `~/.kube/config`, else the pod's ServiceAccount — and returns one connection per
 * chosen context. Clusters without a `proxy-url` get the proxy HTTPS_PROXY/NO_PROXY name for
 * their server, which the Kubernetes client would otherwise ignore. Synchronous and offline:
 * throws {@link ConfigError} naming the file or context at fault, before any request.
 */
export function connectClusters(source: KubeConfigSource): ClusterConnection[] {
  const env = source.env ?? process.env;
  const names = source.optionNames ?? K8S_OPTION_NAMES;
  const { kubeConfig, origin } = loadKubeConfig(source, env, names);
  const known = kubeConfig.getContexts().map((context) => context.name);
  if (known.length === 0) throw new ConfigError(`${names.kubeconfig}: ${origin} defines no context`);
  const wanted = source.contexts === 'all' ? known : (source.contexts ?? [kubeConfig.getCurrentContext()]);
  const problems = wanted.flatMap((name): string[] => {
    if (name === '' || name === undefined) return [`${names.contexts}: ${origin} has no current-context; name one with --context (known: ${known.join(', ')})`];
    if (!known.includes(name)) return [`${names.contexts}: no context "${name}" in ${origin} (known: ${known.join(', ')})`];
    return contextProblems(kubeConfig, name, env, names);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return wanted.map((name) => connect(kubeConfig, name, origin === IN_CLUSTER ? 'in-cluster' : name, { timeoutMs: source.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, onRetry: source.onRetry }));
}

function loadKubeConfig(source: KubeConfigSource, env: NodeJS.ProcessEnv, names: OptionNames): { kubeConfig: KubeConfig; origin: string } {
  const kubeConfig = new KubeConfig();
  const fromEnv = env.KUBECONFIG?.split(':').filter((path) => path !== '') ?? [];
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  const inCluster = (source.inClusterRoot ?? '') + SERVICE_ACCOUNT_TOKEN;
  let origin: string;
  try {
    if (source.kubeconfig !== undefined) {
      origin = `kubeconfig "${source.kubeconfig}"`;
      kubeConfig.loadFromFile(source.kubeconfig);
    } else if (fromEnv.length > 0) {
      origin = `KUBECONFIG "${fromEnv.join(':')}"`;
      loadMerged(kubeConfig, fromEnv);
    } else if (existsSync(home)) {
      origin = `kubeconfig "${home}"`;
      kubeConfig.loadFromFile(home);
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(inCluster)) {
      origin = IN_CLUSTER;
      kubeConfig.loadFromCluster(source.inClusterRoot);
    } else {
      throw new ConfigError(
        `${names.kubeconfig}: no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a ServiceAccount`,
      );
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code ?? ((error as Error).message ?? String(error)).split('\n')[0];
    throw new ConfigError(`${names.kubeconfig}: cannot read ${describeSource(source, fromEnv, home)}: ${detail}`, { cause: error });
  }
  for (const user of kubeConfig.getUsers()) registerUserSecrets(user);
  return { kubeConfig, origin };
}

// A Rancher token is `<token name>:<secret>` (kubeconfig-u-…:…): the secret alone is a secret too.
function registerUserSecrets(user: User): void {
  for (const secret of [user.token, user.password, user.keyData]) registerSecret(secret);
  const colon = user.token?.indexOf(':') ?? -1;
  if (user.token !== undefined && colon > 0) registerCredentialPair(user.token.slice(0, colon), user.token.slice(colon + 1));
}

// kubectl's rule for KUBECONFIG=a:b: the first file to define a name (or the current context)
// wins; later definitions of the same name are ignored. (client-node's merge throws on them.)
function loadMerged(kubeConfig: KubeConfig, paths: readonly string[]): void {
  kubeConfig.loadFromFile(paths[0] ?? '');
  for (const path of paths.slice(1)) {
    const next = new KubeConfig();
    next.loadFromFile(path);
    for (const cluster of next.getClusters()) if (kubeConfig.getCluster(cluster.name) === null) kubeConfig.addCluster(cluster);
    for (const user of next.getUsers()) if (kubeConfig.getUser(user.name) === null) kubeConfig.addUser(user);
    for (const context of next.getContexts()) if (kubeConfig.getContextObject(context.name) === null) kubeConfig.addContext(context);
    if (!kubeConfig.getCurrentContext()) kubeConfig.setCurrentContext(next.getCurrentContext());
  }
}

function describeSource(source: KubeConfigSource, fromEnv: readonly string[], home: string): string {
  if (source.kubeconfig !== undefined) return `"${source.kubeconfig}"`;
  return fromEnv.length > 0 ? `KUBECONFIG "${fromEnv.join(':')}"` : `"${home}"`;
}

function contextProblems(kubeConfig: KubeConfig, context: string, env: NodeJS.ProcessEnv, names: OptionNames): string[] {
  const problems: string[] = [];
  const namespace = namespaceOf(kubeConfig, context);
  if (!isNamespaceName(namespace)) problems.push(`${names.contexts}: context "${context}" names an invalid namespace "${namespace}"`);
  const cluster = kubeConfig.getContextObject(context)?.cluster;
  const definition = cluster === undefined ? null : kubeConfig.getCluster(cluster);
  if (definition === null) {
    problems.push(`${names.contexts}: context "${context}" names a cluster the kubeconfig does not define`);
  } else {
    for (const problem of [serverProblem(definition), certificateAuthorityDataProblem(definition)]) {
      if (problem !== undefined) problems.push(`${names.contexts}: context "${context}": ${problem}`);
    }
  }
  const user = kubeConfig.getUser(kubeConfig.getContextObject(context)?.user ?? '');
  const execProblem = user === null ? undefined : execPluginProblem(user, env);
  if (execProblem !== undefined) problems.push(`${names.contexts}: context "${context}": ${execProblem}`);
  return problems;
}

// The Kubernetes client finds these only when the first request is made (a failed target, exit 1);
// they are mistakes in the input, so they are reported with the rest, before any request.
function serverProblem(cluster: Cluster): string | undefined {
  const server = quoteInput(cluster.server ?? '');
  if (!/^https?:\/\/[^/]/i.test(cluster.server ?? '') || !URL.canParse(cluster.server)) return `server ${server} is not an https:// URL (for example https://203.0.113.10:6443)`;
  if (/^http:/i.test(cluster.server) && cluster.skipTLSVerify !== true) {
    return `server ${server} is plain http://, which the Kubernetes client refuses without insecure-skip-tls-verify; expected an https:// URL`;
  }
  return undefined;
}

function namespaceOf(kubeConfig: KubeConfig, context: string): string {
  return kubeConfig.getContextObject(context)?.namespace?.trim() || 'default';
}

function connect(kubeConfig: KubeConfig, context: string, reportedAs: string, policy: RequestPolicy): ClusterConnection {
  const single = new KubeConfig();
  single.loadFromOptions({
    clusters: kubeConfig.getClusters().map(withEnvironmentProxy),
    users: kubeConfig.getUsers(),
    contexts: kubeConfig.getContexts(),
    currentContext: context,
  });
  return { context: reportedAs, namespace: namespaceOf(kubeConfig, context), api: apiOf(single, reportedAs, policy), reach: rancherClusters(single, reportedAs, policy) };
}

/** The API of the current context of `kubeConfig`, whose failures name its server and user. */
function apiOf(kubeConfig: KubeConfig, reportedAs: string, policy: RequestPolicy): KubeApi {
  const facts = { server: kubeConfig.getCurrentCluster()?.server ?? '', user: kubeConfig.getCurrentUser()?.name ?? '' };
  return withExplainedFailures(createClientNodeApi(kubeConfig, reportedAs, policy), facts);
}

// Rancher's proxy serves each cluster it manages under this path of its server.
const RANCHER_CLUSTER_PATH = /\/k8s\/clusters\/[^/]+\/*$/;

/**
 * When the current context goes through Rancher's proxy (`https://<rancher>/k8s/clusters/<id>`),
 * the other clusters of that Rancher by id: the same server, user, CA and proxy under the other
 * cluster's path (a Rancher token is valid for every cluster its user may reach, unless it is
 * scoped to one). Undefined for any other server.
 */
function rancherClusters(single: KubeConfig, reportedAs: string, policy: RequestPolicy): ClusterConnection['reach'] {
  const current = single.getCurrentCluster();
  if (current === null || !URL.canParse(current.server) || !RANCHER_CLUSTER_PATH.test(new URL(current.server).pathname)) return undefined;
  const reached = new Map<string, KubeApi>();
  return (clusterId) => {
    const known = reached.get(clusterId);
    if (known !== undefined) return known;
    const server = current.server.replace(RANCHER_CLUSTER_PATH, `/k8s/clusters/${encodeURIComponent(clusterId)}`);
    const other = new KubeConfig();
    other.loadFromOptions({
      clusters: single.getClusters().map((cluster) => (cluster.name === current.name ? { ...cluster, server } : cluster)),
      users: single.getUsers(),
      contexts: single.getContexts(),
      currentContext: single.getCurrentContext(),
    });
    const api = apiOf(other, `${reportedAs} (cluster ${clusterId})`, policy);
    reached.set(clusterId, api);
    return api;
  };
}

// HTTPS_PROXY/NO_PROXY are read from process.env, as every other client of ecr-refresh does.
function withEnvironmentProxy(cluster: Cluster): Cluster {
  if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== '') return cluster;
  const proxyUrl = proxyUrlFor(cluster.server);
  return proxyUrl === undefined ? cluster : { ...cluster, proxyUrl };
}
