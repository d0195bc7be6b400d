import { secretOptions } from '../../options/secret-options.ts';
import type { CommandModule } from '../command-module.ts';
import type { Rancher2Args } from './run.ts';

/** `ecr-refresh rancher2`. */
export const rancher2Command: CommandModule<Rancher2Args> = {
  name: 'rancher2',
  description:
    'Keep one project-scoped pull Secret fresh per Rancher 2.12+ project; Rancher copies it into every namespace of the project',
  builder: (yargs) =>
    yargs
      .option('kubeconfig', {
        type: 'string',
        description:
          "kubeconfig of Rancher's management (local) cluster (default: KUBECONFIG, ~/.kube/config, else the pod ServiceAccount)",
      })
      .option('context', {
        type: 'string',
        description: 'kubeconfig context of the local cluster (default: the current context)',
      })
      .option('cluster', {
        type: 'string',
        description:
          'Cluster id (c-m-xxxxxxxx, or local) of the projects named by bare id or by name',
      })
      .option('project', {
        type: 'string',
        array: true,
        alias: 'p',
        description:
          'Project id: c-xxxxx:p-xxxxx, or p-xxxxx with --cluster; repeatable or comma-separated',
      })
      .option('project-name', {
        type: 'string',
        array: true,
        description:
          'Project display name within --cluster (as the Rancher UI shows it); repeatable',
      })
      .option('all-projects', {
        type: 'boolean',
        default: false,
        description: 'Every project of --cluster',
      })
      .option('secret-name', {
        type: 'string',
        default: 'ecr-pull-credentials',
        description: 'Name of the project-scoped Secret, and of its copy in each project namespace',
      })
      .option('adopt', {
        type: 'boolean',
        default: false,
        description:
          'Take over a same-named dockerconfigjson Secret in the backing namespace that ecr-refresh did not create',
      })
      .option('concurrency', {
        type: 'number',
        default: 4,
        description: 'Projects worked on at the same time',
      })
      .options(secretOptions)
      .example(
        '$0 rancher2 -r 123456789012:eu-west-1 --project c-m-4xk2p9qz:p-7tq2x',
        'One project, by the id Rancher shows',
      )
      .example(
        '$0 rancher2 -r 123456789012:eu-west-1 --cluster c-m-4xk2p9qz --project-name payments',
        'One project, by its display name',
      )
      .example(
        '$0 rancher2 -r 123456789012:eu-west-1 --cluster c-m-4xk2p9qz --all-projects --watch',
        'Every project of a cluster, as a service',
      ),
  load: async () => (await import('./run.ts')).runRancher2,
};
