import { toEcrRefreshError, type WatchOptions } from '@ecr-refresh/core';
import type { KubeSecret, KubeWatchEvent } from '../kube-api.ts';
import type { ClusterConnection } from '../kube-config.ts';
import { MANAGED_SELECTOR } from '../kubernetes-watch.ts';
import { holdsValidRecord } from '../secret-record.ts';
import {
  watchCollection,
  watchSettingsOf,
  type CollectionWatchOptions,
} from '../watch-collection.ts';
import type { RancherProjectSinkOptions } from './project-options.ts';
import { resolveProjects, type RancherProject } from './projects.ts';
import { PROJECT_SCOPED_SECRET_LABEL } from './rancher-objects.ts';

/**
 * The project sink's `watch`: calls `onChange` when a project's Secret is deleted (left so, Rancher
 * deletes every copy within about a second, and pulls in the project fail; restored sooner, the
 * copies stay, as seen on Rancher v2.15.0), altered by someone else, or stripped of the
 * project-scoped label. Each Secret is watched by name in its backing namespace, so RBAC can
 * limit `list`/`watch` to it. The projects are those chosen when the watch starts; projects added
 * later, or found again, are served by the next scheduled refresh. Resolves once `signal` aborts.
 */
export async function watchProjects(
  management: ClusterConnection,
  options: RancherProjectSinkOptions,
  watch: WatchOptions,
  backoff?: CollectionWatchOptions['backoff'],
): Promise<void> {
  const { context, api } = management;
  let projects: RancherProject[];
  try {
    ({ projects } = await resolveProjects(api, options, context));
  } catch (error) {
    // The refreshes themselves report this; without the projects there is nothing to watch.
    watch.logger.warn(
      {
        sink: 'rancher2',
        context,
        error: toEcrRefreshError(error, 'cannot look up the projects').message,
      },
      'project Secrets are not watched: refreshing on schedule only',
    );
    return;
  }
  const common = watchSettingsOf(context, watch, backoff);
  await Promise.all(
    projects.map((project) =>
      watchCollection(
        api,
        {
          path: `/api/v1/namespaces/${project.backingNamespace}/secrets`,
          labelSelector: MANAGED_SELECTOR,
          fieldSelector: `metadata.name=${options.secretName}`,
        },
        {
          ...common,
          onEvent: (event) => {
            const reason = projectSecretChange(event, project);
            if (reason !== undefined)
              watch.onChange(`${context}/${project.cluster}:${project.name}: ${reason}`);
          },
        },
      ),
    ),
  );
}

/** Why an event of a project's Secret calls for a refresh, or undefined when it does not (our own writes). */
function projectSecretChange(event: KubeWatchEvent, project: RancherProject): string | undefined {
  const name = event.object.metadata?.name;
  if (event.type === 'DELETED') return `Secret ${name} deleted`;
  if (event.type !== 'MODIFIED') return undefined;
  if (event.object.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL] !== project.name)
    return `Secret ${name} lost its ${PROJECT_SCOPED_SECRET_LABEL} label`;
  return holdsValidRecord(event.object as KubeSecret) ? undefined : `Secret ${name} altered`;
}
