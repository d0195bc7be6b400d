import { createRancherProjectSink } from '@ecr-refresh/k8s';
import type { ExitStatus } from '../../exit-status.ts';
import { last, list } from '../../options/flag-values.ts';
import { secretSinkOptionsOf, type SecretArgs } from '../../options/secret-options.ts';
import type { SharedArgs } from '../../options/shared-options.ts';
import { runRefresh } from '../../run/run-refresh.ts';

/** Arguments of `ecr-refresh rancher2`. */
export interface Rancher2Args extends SharedArgs, SecretArgs {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  cluster?: string | undefined;
  project?: string[] | undefined;
  projectName?: string[] | undefined;
  allProjects: boolean;
  secretName: string;
  adopt: boolean;
  concurrency: number;
}

/** `ecr-refresh rancher2`: the Rancher 2.x project sink on the chosen projects. */
export async function runRancher2(args: Rancher2Args): Promise<ExitStatus> {
  return runRefresh(args, (settings, logger) => [
    createRancherProjectSink(
      {
        kubeconfig: last(args.kubeconfig),
        context: last(args.context),
        cluster: last(args.cluster),
        projects: list(args.project),
        // Display names may hold commas: only repeated flags separate them.
        projectNames: (args.projectName ?? []).map(String),
        allProjects: args.allProjects,
        secretName: last(args.secretName),
        adopt: args.adopt,
        concurrency: last(args.concurrency),
        email: settings.email,
        timeoutMs: settings.timeoutMs,
        ...secretSinkOptionsOf(args),
      },
      {
        onRetry: (retry) =>
          logger.warn({ sink: 'rancher2', ...retry }, 'Kubernetes API request failed; retrying'),
      },
    ),
  ]);
}
