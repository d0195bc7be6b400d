import { ConfigError } from '@ecr-refresh/core';
import {
  createKubernetesSink,
  type KubernetesProgress,
  type KubernetesSinkOptionsInput,
} from '@ecr-refresh/k8s';
import type { ExitStatus } from '../../exit-status.ts';
import { last, list } from '../../options/flag-values.ts';
import { secretSinkOptionsOf, type SecretArgs } from '../../options/secret-options.ts';
import type { SharedArgs } from '../../options/shared-options.ts';
import { runRefresh } from '../../run/run-refresh.ts';

/** Arguments of `ecr-refresh k8s`. */
export interface K8sArgs extends SharedArgs, SecretArgs {
  kubeconfig?: string | undefined;
  context?: string[] | undefined;
  allContexts: boolean;
  namespace?: string[] | undefined;
  selector?: string | undefined;
  excludeNamespace?: string[] | undefined;
  secretName: string;
  adopt: boolean;
  serviceAccount: string[];
  concurrency: number;
  rancherClusters?: string[] | undefined;
  rancherClusterSelector?: string | undefined;
  clusterConcurrency: number;
  clusterTimeout: number;
}

// Below this many namespaces a run is short enough to need no progress line.
const PROGRESS_FROM = 20;

/** `ecr-refresh k8s`: the Kubernetes sink over the chosen contexts and namespaces. */
export async function runK8s(args: K8sArgs): Promise<ExitStatus> {
  const fleet = fleetOf(args);
  return runRefresh(args, (settings, logger) => [
    createKubernetesSink(
      {
        kubeconfig: last(args.kubeconfig),
        contexts: contextsOf(args),
        namespaces: list(args.namespace),
        namespaceSelector: last(args.selector),
        excludeNamespaces: list(args.excludeNamespace),
        secretName: last(args.secretName),
        adopt: args.adopt,
        serviceAccounts: serviceAccountsOf(args.serviceAccount),
        concurrency: last(args.concurrency),
        ...fleet,
        email: settings.email,
        timeoutMs: settings.timeoutMs,
        ...secretSinkOptionsOf(args),
      },
      {
        onProgress: process.stderr.isTTY === true ? printProgress : undefined,
        onRetry: (retry) =>
          logger.warn({ sink: 'k8s', ...retry }, 'Kubernetes API request failed; retrying'),
      },
    ),
  ]);
}

function contextsOf(args: K8sArgs): 'all' | string[] | undefined {
  const named = list(args.context);
  if (args.allContexts && named.length > 0)
    throw new ConfigError('context: --context and --all-contexts exclude each other');
  if (args.allContexts) return 'all';
  return named.length > 0 ? named : undefined;
}

// A fleet is served through Rancher's context alone: in service mode too, where the sink watches
// Rancher's cluster list (clusters added or becoming ready are served within seconds).
function fleetOf(args: K8sArgs): Partial<KubernetesSinkOptionsInput> {
  const named = list(args.rancherClusters);
  const selector = last(args.rancherClusterSelector);
  if (named.length === 0 && selector === undefined) return {};
  if (args.allContexts)
    throw new ConfigError(
      "rancher-clusters: --all-contexts does not combine with Rancher clusters; name Rancher's context with --context",
    );
  return {
    rancherClusters: rancherClustersOf(named),
    rancherClusterSelector: selector,
    clusterConcurrency: last(args.clusterConcurrency),
    clusterTimeoutMs: Math.round(last(args.clusterTimeout) * 1000),
  };
}

function rancherClustersOf(named: string[]): 'all' | string[] | undefined {
  if (!named.includes('all')) return named.length > 0 ? named : undefined;
  if (named.length > 1)
    throw new ConfigError('rancher-clusters: "all" cannot be combined with cluster names');
  return 'all';
}

function serviceAccountsOf(values: readonly string[]): string[] {
  const names = list(values);
  return names.length === 1 && names[0] === 'none' ? [] : names;
}

function printProgress({ context, done, total }: KubernetesProgress): void {
  if (total < PROGRESS_FROM) return;
  process.stderr.write(`\r${context}: ${done}/${total} namespaces${done === total ? '\n' : ''}`);
}
