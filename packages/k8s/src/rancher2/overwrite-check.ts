import pLimit from 'p-limit';
import { toEcrRefreshError, type Logger } from '@ecr-refresh/core';
import type { KubeApi } from '../kube-api.ts';
import { NAMESPACE_PROJECT_LABEL, PROJECT_SCOPED_COPY_ANNOTATION } from './rancher-objects.ts';
import type { RancherProject } from './projects.ts';

// Namespaces of one project read at the same time.
const READS_AT_ONCE = 8;

/**
 * The namespaces of `project` (on its own cluster, behind `downstream`) holding a Secret named
 * `secretName` that is not a copy Rancher made: once the project-scoped Secret exists, Rancher
 * overwrites each of them. Reads only.
 */
async function secretsRancherWouldOverwrite(
  downstream: KubeApi,
  project: RancherProject,
  secretName: string,
): Promise<string[]> {
  const namespaces = await downstream.listNamespaces(`${NAMESPACE_PROJECT_LABEL}=${project.name}`);
  const limit = pLimit(READS_AT_ONCE);
  const found = await Promise.all(
    namespaces.map((namespace) =>
      limit(async () => {
        const secret = await downstream.readSecret(namespace.name, secretName);
        const isCopy = secret?.metadata?.annotations?.[PROJECT_SCOPED_COPY_ANNOTATION] === 'true';
        return secret !== undefined && !isCopy ? namespace.name : undefined;
      }),
    ),
  );
  return found.filter((name) => name !== undefined).sort();
}

/**
 * Before the project-scoped label first lands on the project's Secret (it is created, adopted or
 * relabelled): warns of every same-named Secret in the project's namespaces that Rancher would
 * overwrite, or that the check could not be made. Never throws: the check informs, it does not
 * stop the write the user asked for.
 */
export async function warnOfOverwrites(
  downstream: KubeApi,
  project: RancherProject,
  secretName: string,
  logger: Logger,
): Promise<void> {
  const where = {
    sink: 'rancher2',
    project: `${project.cluster}:${project.name}`,
    secret: secretName,
  };
  try {
    const namespaces = await secretsRancherWouldOverwrite(downstream, project, secretName);
    if (namespaces.length > 0) {
      logger.warn(
        { ...where, namespaces },
        `Rancher will overwrite the Secret ${secretName} in ${namespaces.join(', ')} with the project-scoped Secret: it was not made by Rancher; choose another secret name to keep it`,
      );
    }
  } catch (error) {
    logger.warn(
      { ...where, error: toEcrRefreshError(error, 'check failed').message },
      `cannot check the namespaces of project ${project.cluster}:${project.name} for Secrets named ${secretName} that Rancher would overwrite`,
    );
  }
}
