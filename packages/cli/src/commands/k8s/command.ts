import { secretOptions } from '../../options/secret-options.ts';
import type { CommandModule } from '../command-module.ts';
import type { K8sArgs } from './run.ts';

/** `ecr-refresh k8s`. */
export const k8sCommand: CommandModule<K8sArgs> = {
  name: 'k8s',
  description:
    'Keep a dockerconfigjson Secret fresh in Kubernetes namespaces and reference it from ServiceAccounts',
  builder: (yargs) =>
    yargs
      .option('kubeconfig', {
        type: 'string',
        description:
          'kubeconfig file (default: KUBECONFIG, ~/.kube/config, else the pod ServiceAccount)',
      })
      .option('context', {
        type: 'string',
        array: true,
        description:
          'kubeconfig context (cluster) to serve; repeatable (default: the current context)',
      })
      .option('all-contexts', {
        type: 'boolean',
        default: false,
        description: 'Serve every context of the kubeconfig, each reported separately',
      })
      .option('namespace', {
        type: 'string',
        array: true,
        alias: 'n',
        description:
          'Namespace, glob (team-*, app-?) or * for all; repeatable or comma-separated (default: the context namespace, in a pod its own)',
      })
      .option('selector', {
        type: 'string',
        alias: 'l',
        description: 'Label selector of the namespaces to serve (team=payments,env!=test)',
      })
      .option('exclude-namespace', {
        type: 'string',
        array: true,
        description:
          'Namespace or glob to leave out (kube-*); repeatable or comma-separated. A namespace labelled ecr-refresh/exclude=true is always left out',
      })
      .option('secret-name', {
        type: 'string',
        default: 'ecr-pull-credentials',
        description:
          'Name of the Secret in each namespace; {namespace} is replaced by the namespace (the blog post used ecr-{namespace})',
      })
      .option('adopt', {
        type: 'boolean',
        default: false,
        description:
          'Take over a same-named dockerconfigjson Secret that ecr-refresh did not create',
      })
      .option('service-account', {
        type: 'string',
        array: true,
        default: ['default'],
        description:
          'ServiceAccount to reference the Secret from imagePullSecrets; repeatable; * for all, none for none',
      })
      .option('concurrency', {
        type: 'number',
        default: 8,
        description: 'Namespaces worked on at the same time, per cluster',
      })
      .option('rancher-clusters', {
        type: 'string',
        array: true,
        description:
          "Serve Rancher's downstream clusters through its proxy (the kubeconfig is Rancher's local cluster): all (every cluster but local), or cluster ids and display names; repeatable or comma-separated",
      })
      .option('rancher-cluster-selector', {
        type: 'string',
        description:
          'Only Rancher clusters whose Cluster object has these labels (env=prod); alone, every such cluster',
      })
      .option('cluster-concurrency', {
        type: 'number',
        default: 4,
        description: 'Rancher clusters served at the same time',
      })
      .option('cluster-timeout', {
        type: 'number',
        default: 300,
        description: 'Seconds one Rancher cluster may take before it is reported failed',
      })
      .options(secretOptions)
      .example(
        '$0 k8s -r 123456789012:eu-west-1 -n "*" --exclude-namespace "kube-*"',
        'Every namespace but the system ones',
      )
      .example(
        '$0 k8s -r 123456789012:eu-west-1 -l team=payments --service-account "*"',
        'Labelled namespaces, every ServiceAccount',
      )
      .example(
        '$0 k8s -r 123456789012:eu-west-1 --secret-name "ecr-{namespace}" -n default',
        "The blog post's CronJob, done safely",
      )
      .example(
        '$0 k8s -r 123456789012:eu-west-1 --kubeconfig rancher.yaml --rancher-clusters all -n "*"',
        "Every namespace of every Rancher downstream cluster, through Rancher's proxy",
      )
      .example(
        '$0 k8s -r 123456789012:eu-west-1 --secret-annotation argocd.argoproj.io/compare-options=IgnoreExtraneous',
        'Secrets Argo CD leaves out of its sync status',
      ),
  load: async () => (await import('./run.ts')).runK8s,
};
