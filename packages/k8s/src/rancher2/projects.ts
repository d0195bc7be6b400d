import { ConfigError, quoteInput } from '@ecr-refresh/core';
import type { KubeApi, KubeCustomObject } from '../kube-api.ts';
import { isNamespaceName } from '../options.ts';
import { splitProjectId, type RancherProjectSinkOptions } from './project-options.ts';
import { projectsOf } from './rancher-objects.ts';

/** One Rancher project to serve, as its Project object on the management cluster describes it. */
export interface RancherProject {
  /** The cluster id, which is also the namespace its Project object lives in. */
  readonly cluster: string;
  /** The project's name (`p-xxxxx`): the value of the project-scoped-secret label. */
  readonly name: string;
  readonly displayName: string;
  /** Where the project-scoped Secret lives on the management cluster. */
  readonly backingNamespace: string;
}

// Names shown when a display name matches no project: enough to spot a typo, not a flood.
const NAMES_SHOWN = 20;

/**
 * The projects the options choose, each once, looked up on the management cluster. A project id
 * or display name that matches no Project, or a display name that matches several, is a
 * ConfigError naming it (nothing is written); API failures are thrown as they come.
 */
export async function resolveProjects(api: KubeApi, options: RancherProjectSinkOptions, context: string): Promise<RancherProject[]> {
  const found = new Map<string, RancherProject>();
  const problems: string[] = [];
  const add = (project: RancherProject) => found.set(`${project.cluster}:${project.name}`, project);

  for (const id of options.projects) {
    const { cluster = options.cluster ?? '', project } = splitProjectId(id);
    const object = await api.readCustomObject(projectsOf(cluster), project);
    if (object === undefined) problems.push(`rancher2.projects: ${quoteInput(id)}: no project ${project} in cluster ${cluster} (context ${context}); list them with: kubectl get projects.management.cattle.io -n ${cluster}`);
    else add(projectOf(object, cluster));
  }
  if (options.cluster !== undefined && (options.allProjects || options.projectNames.length > 0)) {
    const all = (await api.listCustomObjects(projectsOf(options.cluster))).map((object) => projectOf(object, options.cluster as string));
    if (options.allProjects) all.forEach(add);
    for (const name of options.projectNames) {
      const matches = all.filter((project) => project.displayName === name);
      if (matches.length === 1) add(matches[0] as RancherProject);
      else problems.push(displayNameProblem(name, matches, all, options.cluster));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return [...found.values()];
}

function displayNameProblem(name: string, matches: readonly RancherProject[], all: readonly RancherProject[], cluster: string): string {
  if (matches.length > 1) {
    return `rancher2.projectNames: ${quoteInput(name)}: ${matches.length} projects of cluster ${cluster} have that name (${matches.map((project) => project.name).join(', ')}); name one by id`;
  }
  const known = all.slice(0, NAMES_SHOWN).map((project) => `"${project.displayName}"`).join(', ');
  const more = all.length > NAMES_SHOWN ? `, and ${all.length - NAMES_SHOWN} more` : '';
  return `rancher2.projectNames: ${quoteInput(name)}: no project of cluster ${cluster} has that display name (known: ${known || 'none'}${more})`;
}

/**
 * A Project object as a {@link RancherProject}. The backing namespace is `status.backingNamespace`,
 * else the project's name, as Rancher's `GetProjectBackingNamespace` reads it; it is never built
 * from the ids, whose form changed in 2.11.1.
 */
export function projectOf(object: KubeCustomObject, cluster: string): RancherProject {
  const name = object.metadata?.name ?? '';
  const displayName = typeof object.spec?.displayName === 'string' ? object.spec.displayName : name;
  const stated = object.status?.backingNamespace;
  const backingNamespace = typeof stated === 'string' && stated !== '' ? stated : name;
  if (!isNamespaceName(backingNamespace)) {
    throw new ConfigError(`rancher2: project ${cluster}:${name} names an invalid backing namespace ${quoteInput(backingNamespace)}`);
  }
  return { cluster, name, displayName, backingNamespace };
}
