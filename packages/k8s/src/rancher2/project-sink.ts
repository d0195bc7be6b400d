import pLimit from 'p-limit';
import {
  ConfigError,
  SinkWriteError,
  silentLogger,
  toEcrRefreshError,
  type ApplyContext,
  type Sink,
  type TargetResult,
  type ValidationProblem,
} from '@ecr-refresh/core';
import { connectClusters, type ClusterConnection } from '../kube-config.ts';
import type { KubeApi } from '../kube-api.ts';
import type { RequestPolicy } from '../request-http-library.ts';
import type { CollectionWatchOptions } from '../watch-collection.ts';
import { writeSecret } from '../write-secret.ts';
import { warnOfOverwrites } from './overwrite-check.ts';
import { watchProjects } from './project-watch.ts';
import { parseRancherProjectSinkOptions, type RancherProjectSinkOptions, type RancherProjectSinkOptionsInput } from './project-options.ts';
import { resolveProjects, type RancherProject } from './projects.ts';
import { PROJECT_SCOPED_SECRET_LABEL } from './rancher-objects.ts';
import { assertProjectScopedSecrets } from './rancher-version.ts';

const SINK_ID = 'rancher2';

// Rancher's own cluster, where the management connection already points.
const LOCAL_CLUSTER = 'local';

/** What the sink runs on, for embedding and tests; every field has a default. */
export interface RancherProjectSinkRuntime {
  /** Rancher's management (local) cluster; default: the kubeconfig context the options name. */
  readonly management?: ClusterConnection | undefined;
  /**
   * The API of a downstream cluster by id, to look for Secrets Rancher would overwrite; default:
   * the management connection's own cluster for `local`, and Rancher's proxy path of the cluster
   * when the management connection goes through Rancher (`…/k8s/clusters/local`).
   */
  readonly downstream?: ((cluster: string) => KubeApi | undefined) | undefined;
  /** Root of the in-cluster ServiceAccount files (default `/`), for tests. */
  readonly inClusterRoot?: string | undefined;
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST are read (default `process.env`), for tests. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Told of each retried API request (a 429, a 5xx, a broken connection); must not throw. */
  readonly onRetry?: RequestPolicy['onRetry'];
  /** Reconnect delays of the watches (default: from 0.5 s up to 30 s), for tests. */
  readonly watchBackoff?: CollectionWatchOptions['backoff'];
}

/**
 * The Rancher 2.x project sink: one `kubernetes.io/dockerconfigjson` Secret per chosen project,
 * in the project's backing namespace on Rancher's management (local) cluster, labelled
 * `management.cattle.io/project-scoped-secret: <project>` so that Rancher 2.12+ copies it into
 * every namespace of the project. The Secret is written in place like every Secret of the
 * Kubernetes sink (`write-secret.ts`); the copies are Rancher's and never written here. Targets
 * are reported as `<context>/<cluster>:<project>`. In service mode, `watch` reports a project
 * Secret deleted or altered (see `project-watch.ts`).
 *
 * Options are validated and the kubeconfig is read here, synchronously (ConfigError). `validate`
 * then asks the management cluster: a Rancher older than 2.12, or a project id or display name
 * that matches nothing, is a problem reported before anything is written.
 */
export function createRancherProjectSink(input: RancherProjectSinkOptionsInput, runtime: RancherProjectSinkRuntime = {}): Sink {
  const options = parseRancherProjectSinkOptions(input);
  const management = runtime.management ?? connectManagement(options, runtime);
  const downstream = runtime.downstream ?? ((cluster: string) => (cluster === LOCAL_CLUSTER ? management.api : management.reach?.(cluster)));
  return {
    id: SINK_ID,
    validate: () => validate(management, options),
    async apply(context) {
      let projects: RancherProject[];
      try {
        await assertProjectScopedSecrets(management.api, management.context, context.logger);
        projects = await resolveProjects(management.api, options, management.context);
      } catch (error) {
        return [{ sink: SINK_ID, target: selectionOf(management, options), action: 'failed', error: toEcrRefreshError(error, 'cannot look up the Rancher projects') }];
      }
      const limit = pLimit(options.concurrency);
      return Promise.all(projects.map((project) => limit(() => applyToProject(management, project, options, context, downstream))));
    },
    watch: (watchOptions) => watchProjects(management, options, watchOptions, runtime.watchBackoff),
  };
}

function connectManagement(options: RancherProjectSinkOptions, runtime: RancherProjectSinkRuntime): ClusterConnection {
  const [connection] = connectClusters({
    kubeconfig: options.kubeconfig,
    contexts: options.context === undefined ? undefined : [options.context],
    inClusterRoot: runtime.inClusterRoot,
    env: runtime.env,
    timeoutMs: options.timeoutMs,
    onRetry: runtime.onRetry,
  });
  if (connection === undefined) throw new ConfigError('rancher2.context: the kubeconfig names no context');
  return connection;
}

/**
 * What only the management cluster can tell, asked before anything is written: its Rancher's
 * version and the projects named. A failed request is no problem of the input: `apply` reports
 * it as a failed target.
 */
async function validate(management: ClusterConnection, options: RancherProjectSinkOptions): Promise<ValidationProblem[]> {
  try {
    await assertProjectScopedSecrets(management.api, management.context, silentLogger);
    await resolveProjects(management.api, options, management.context);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) return [];
    return error.problems.map(asValidationProblem);
  }
}

// Problems read `rancher2.projects: "p-x": no project …`: the part before the first ": " names the input.
function asValidationProblem(problem: string): ValidationProblem {
  const split = problem.indexOf(': ');
  return split === -1 ? { path: SINK_ID, message: problem } : { path: problem.slice(0, split), message: problem.slice(split + 2) };
}

async function applyToProject(
  management: ClusterConnection,
  project: RancherProject,
  options: RancherProjectSinkOptions,
  context: ApplyContext,
  downstream: (cluster: string) => KubeApi | undefined,
): Promise<TargetResult> {
  const target = `${management.context}/${project.cluster}:${project.name}`;
  const base = { sink: SINK_ID, target, ...(context.dryRun ? { dryRun: true } : {}) };
  if (context.signal.aborted) {
    return { ...base, action: 'failed', error: new SinkWriteError(SINK_ID, target, 'not attempted: the run was interrupted', { retryable: true }) };
  }
  const secret = { namespace: project.backingNamespace, name: options.secretName, target, labels: { [PROJECT_SCOPED_SECRET_LABEL]: project.name } };
  try {
    const outcome = await writeSecret(management.api, secret, context, {
      adopt: options.adopt,
      email: options.email,
      beforeCreate: () => warnOfOverwrites(downstream(project.cluster), project, options.secretName, context.logger),
    });
    const where = `project-scoped Secret ${project.backingNamespace}/${options.secretName} of "${project.displayName}"`;
    return { ...base, action: outcome.action, record: outcome.record, reason: [where, outcome.reason].filter((part) => part !== undefined).join('; ') };
  } catch (error) {
    return { ...base, action: 'failed', error: toEcrRefreshError(error, `cannot update ${target}`) };
  }
}

function selectionOf(management: ClusterConnection, options: RancherProjectSinkOptions): string {
  const chosen = [...options.projects, ...options.projectNames.map((name) => `"${name}"`), ...(options.allProjects ? ['*'] : [])];
  return `${management.context}/${options.cluster === undefined ? '' : `${options.cluster}:`}${chosen.join(',')}`;
}
