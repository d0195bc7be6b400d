import pLimit from 'p-limit';
import {
  ConfigError,
  SinkWriteError,
  toEcrRefreshError,
  type ApplyContext,
  type EcrRefreshError,
  type Logger,
  type Sink,
  type TargetResult,
} from '@ecr-refresh/core';
import { KubernetesApiError } from '../errors.ts';
import { createFailureEvents, type FailureEvents } from '../failure-events.ts';
import { connectClusters, type ClusterConnection } from '../kube-config.ts';
import type { KubeApi, KubeObjectReference } from '../kube-api.ts';
import { secretMetadataOf } from '../secret-metadata.ts';
import type { RequestPolicy } from '../transport/retries.ts';
import type { CollectionWatchOptions } from '../watch-collection.ts';
import { writeSecret } from '../write-secret.ts';
import { warnOfOverwrites } from './overwrite-check.ts';
import { watchProjects } from './project-watch.ts';
import {
  parseRancherProjectSinkOptions,
  type RancherProjectSinkOptions,
  type RancherProjectSinkOptionsInput,
} from './project-options.ts';
import { resolveProjects, type ProjectLookup, type RancherProject } from './projects.ts';
import { PROJECT_SCOPED_SECRET_LABEL } from './rancher-objects.ts';
import { supportedRancherVersion, type RancherVersion } from './rancher-version.ts';

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
  /** Where failed projects are told as Events (default: Events at most once per object and reason per 10 min). */
  readonly events?: FailureEvents | undefined;
}

/**
 * The Rancher 2.x project sink: one `kubernetes.io/dockerconfigjson` Secret per chosen project,
 * in the project's backing namespace on Rancher's management (local) cluster, labelled
 * `management.cattle.io/project-scoped-secret: <project>` so that Rancher 2.12+ copies it into
 * every namespace of the project. The Secret is written in place like every Secret of the
 * Kubernetes sink (`write-secret.ts`), with the same extra labels and annotations and the same
 * Warning Event when it fails; the copies are Rancher's and never written here. Targets
 * are reported as `<context>/<cluster>:<project>`, with the project's cluster id as their
 * `cluster` (where its namespaces pull). In service mode, `watch` reports a project
 * Secret deleted or altered (see `project-watch.ts`).
 *
 * Options are validated and the kubeconfig is read here, synchronously (ConfigError). `validate`
 * then asks the management cluster: a Rancher older than 2.12, or a project id or display name
 * that matches nothing, is a problem reported before anything is written. In `apply` (a service
 * that runs on while projects come and go) such a project is one failed target, and the others
 * are served.
 */
export function createRancherProjectSink(
  input: RancherProjectSinkOptionsInput,
  runtime: RancherProjectSinkRuntime = {},
): Sink {
  const options = parseRancherProjectSinkOptions(input);
  const management = runtime.management ?? connectManagement(options, runtime);
  const overwrites = overwriteCheckFor(management, runtime.downstream);
  const events = options.events ? (runtime.events ?? createFailureEvents()) : undefined;
  // What `validate` looked up, reused by the next `apply` so that a one-shot run asks once.
  let validated: ManagementView | undefined;
  return {
    id: SINK_ID,
    async validate() {
      try {
        validated = await lookUp(management, options);
      } catch (error) {
        // A failed request is no problem of the input: `apply` reports it as a failed target.
        return error instanceof ConfigError ? [{ path: SINK_ID, message: error.message }] : [];
      }
      return validated.problems.map(({ path, message }) => ({ path, message }));
    },
    async apply(context) {
      let view: ManagementView;
      try {
        view = validated ?? (await lookUp(management, options));
      } catch (error) {
        return [
          {
            sink: SINK_ID,
            target: selectionOf(management, options),
            action: 'failed',
            error: toEcrRefreshError(error, 'cannot look up the Rancher projects'),
          },
        ];
      } finally {
        validated = undefined;
      }
      if (view.version.release === undefined) {
        context.logger.warn(
          { sink: SINK_ID, context: management.context, rancherVersion: view.version.text },
          'Rancher states no release version (a development build?); assuming it copies project-scoped Secrets (2.12 or later)',
        );
      }
      const unresolved = view.problems.map(
        (problem): TargetResult => ({
          sink: SINK_ID,
          target: `${management.context}/${problem.selection}`,
          action: 'failed',
          error: new ConfigError(`${problem.path}: ${problem.message}`),
        }),
      );
      const limit = pLimit(options.concurrency);
      const written = await Promise.all(
        view.projects.map((project) =>
          limit(() =>
            applyToProject(management, project, options, context, {
              checkOverwrites: overwrites,
              events,
            }),
          ),
        ),
      );
      return [...unresolved, ...written];
    },
    watch: (watchOptions) => watchProjects(management, options, watchOptions, runtime.watchBackoff),
  };
}

/** What the management cluster says of a run: its Rancher, the projects found and those not. */
interface ManagementView extends ProjectLookup {
  readonly version: RancherVersion;
}

/** Rancher's version (ConfigError when it has no project-scoped Secrets), then the projects. */
async function lookUp(
  management: ClusterConnection,
  options: RancherProjectSinkOptions,
): Promise<ManagementView> {
  const version = await supportedRancherVersion(management.api, management.context);
  return { version, ...(await resolveProjects(management.api, options, management.context)) };
}

function connectManagement(
  options: RancherProjectSinkOptions,
  runtime: RancherProjectSinkRuntime,
): ClusterConnection {
  const [connection] = connectClusters({
    kubeconfig: options.kubeconfig,
    contexts: options.context === undefined ? undefined : [options.context],
    inClusterRoot: runtime.inClusterRoot,
    env: runtime.env,
    timeoutMs: options.timeoutMs,
    onRetry: runtime.onRetry,
    optionNames: { kubeconfig: 'rancher2.kubeconfig', contexts: 'rancher2.context' },
  });
  if (connection === undefined)
    throw new ConfigError('rancher2.context: the kubeconfig names no context');
  return connection;
}

/**
 * The overwrite check of each project's cluster: on the management connection for Rancher's own
 * cluster, through Rancher's proxy for the others when the connection goes through it. Where no
 * connection can be had, says so once per cluster, not at every project.
 */
function overwriteCheckFor(
  management: ClusterConnection,
  downstream: RancherProjectSinkRuntime['downstream'],
): OverwriteCheck {
  const reach =
    downstream ??
    ((cluster: string) =>
      cluster === LOCAL_CLUSTER ? management.api : management.reach?.(cluster));
  const told = new Set<string>();
  return async (project, secretName, logger) => {
    const api = reach(project.cluster);
    if (api !== undefined) return warnOfOverwrites(api, project, secretName, logger);
    if (told.has(project.cluster)) return;
    told.add(project.cluster);
    const why =
      management.reach === undefined && downstream === undefined
        ? `the connection to the local cluster does not go through Rancher's proxy (…/k8s/clusters/local), so cluster ${project.cluster} cannot be reached`
        : `no connection to cluster ${project.cluster}`;
    logger.info(
      { sink: SINK_ID, cluster: project.cluster, secret: secretName },
      `not checking the project namespaces of cluster ${project.cluster} for Secrets named ${secretName} that Rancher would overwrite: ${why}`,
    );
  };
}

type OverwriteCheck = (
  project: RancherProject,
  secretName: string,
  logger: Logger,
) => Promise<void>;

async function applyToProject(
  management: ClusterConnection,
  project: RancherProject,
  options: RancherProjectSinkOptions,
  context: ApplyContext,
  {
    checkOverwrites,
    events,
  }: { checkOverwrites: OverwriteCheck; events: FailureEvents | undefined },
): Promise<TargetResult> {
  const target = `${management.context}/${project.cluster}:${project.name}`;
  const base = {
    sink: SINK_ID,
    target,
    cluster: project.cluster,
    ...(context.dryRun ? { dryRun: true } : {}),
  };
  if (context.signal.aborted) {
    return {
      ...base,
      action: 'failed',
      error: new SinkWriteError(SINK_ID, target, 'not attempted: the run was interrupted', {
        retryable: true,
      }),
    };
  }
  const secret = {
    namespace: project.backingNamespace,
    name: options.secretName,
    sink: SINK_ID,
    target,
    labels: { [PROJECT_SCOPED_SECRET_LABEL]: project.name },
    metadata: secretMetadataOf(options),
  };
  let seen: KubeObjectReference | undefined;
  try {
    const outcome = await writeSecret(management.api, secret, context, {
      adopt: options.adopt,
      email: options.email,
      beforeLabelling: () => checkOverwrites(project, options.secretName, context.logger),
      onSecret: (reference) => (seen = reference),
    });
    const where = `project-scoped Secret ${project.backingNamespace}/${options.secretName} of "${project.displayName}"`;
    return {
      ...base,
      action: outcome.action,
      record: outcome.record,
      reason: [where, outcome.reason].filter((part) => part !== undefined).join('; '),
    };
  } catch (error) {
    const failure = failureOf(error, project, target);
    await events?.record(
      {
        cluster: management.context,
        api: management.api,
        namespace: project.backingNamespace,
        secret: seen,
        error: failure,
      },
      context,
    );
    return { ...base, action: 'failed', error: failure };
  }
}

/** Why a project failed; a create refused with 404 means its backing namespace is missing. */
function failureOf(error: unknown, project: RancherProject, target: string): EcrRefreshError {
  if (error instanceof KubernetesApiError && error.status === 404 && error.method === 'POST') {
    return new SinkWriteError(
      SINK_ID,
      target,
      `the backing namespace ${project.backingNamespace} of project ${project.cluster}:${project.name} does not exist (yet: Rancher creates it shortly after the project)`,
      { retryable: true, cause: error },
    );
  }
  return toEcrRefreshError(error, `cannot update ${target}`);
}

function selectionOf(management: ClusterConnection, options: RancherProjectSinkOptions): string {
  const chosen = [
    ...options.projects,
    ...options.projectNames.map((name) => `"${name}"`),
    ...(options.allProjects ? ['*'] : []),
  ];
  return `${management.context}/${options.cluster === undefined ? '' : `${options.cluster}:`}${chosen.join(',')}`;
}
