import { ConfigError } from '@ecr-refresh/core';
import { createKubernetesSink, type KubernetesProgress } from '@ecr-refresh/k8s';
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
}

// Below this many namespaces a run is short enough to need no progress line.
const PROGRESS_FROM = 20;

/** `ecr-refresh k8s`: the Kubernetes sink over the chosen contexts and namespaces. */
export async function runK8s(args: K8sArgs): Promise<ExitStatus> {
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

function serviceAccountsOf(values: readonly string[]): string[] {
  const names = list(values);
  return names.length === 1 && names[0] === 'none' ? [] : names;
}

function printProgress({ context, done, total }: KubernetesProgress): void {
  if (total < PROGRESS_FROM) return;
  process.stderr.write(`\r${context}: ${done}/${total} namespaces${done === total ? '\n' : ''}`);
}
