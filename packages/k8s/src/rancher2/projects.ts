import { quoteInput } from '@ecr-refresh/core';
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

/** A project named in the options that cannot be served, and why; the others are served regardless. */
export interface ProjectProblem {
  /** The option at fault: `rancher2.projects`, `rancher2.projectNames`. */
  readonly path: string;
  /** How the options named it (`c-x:p-y`, `"Payments"`): the failed target's name. */
  readonly selection: string;
  readonly message: string;
}

/** The projects found, and the ones named that could not be. */
export interface ProjectLookup {
  readonly projects: RancherProject[];
  readonly problems: ProjectProblem[];
}

// Names shown when a display name matches no project: enough to spot a typo, not a flood.
const NAMES_SHOWN = 20;

/**
 * The projects the options choose, each once, looked up on the management cluster. A project id
 * or display name that matches no Project, a display name that matches several, or a Project
 * with an invalid backing namespace is a problem of its own; API failures are thrown as they come.
 */
export async function resolveProjects(
  api: KubeApi,
  options: RancherProjectSinkOptions,
  context: string,
): Promise<ProjectLookup> {
  const found = new Map<string, RancherProject>();
  const problems: ProjectProblem[] = [];
  const add = (project: RancherProject, path: string, selection: string) => {
    if (isNamespaceName(project.backingNamespace))
      found.set(`${project.cluster}:${project.name}`, project);
    else
      problems.push({
        path,
        selection,
        message: `${quoteInput(selection)}: project ${project.cluster}:${project.name} names an invalid backing namespace ${quoteInput(project.backingNamespace)}`,
      });
  };

  for (const id of options.projects) {
    const { cluster = options.cluster ?? '', project } = splitProjectId(id);
    const object = await api.readCustomObject(projectsOf(cluster), project);
    if (object === undefined)
      problems.push({
        path: 'rancher2.projects',
        selection: `${cluster}:${project}`,
        message: `${quoteInput(id)}: no project ${project} in cluster ${cluster} (context ${context}); list them with: kubectl get projects.management.cattle.io -n ${cluster}`,
      });
    else add(projectOf(object, cluster), 'rancher2.projects', `${cluster}:${project}`);
  }
  const cluster = options.cluster;
  if (cluster !== undefined && (options.allProjects || options.projectNames.length > 0)) {
    // A Project being deleted takes its backing namespace with it: nothing to serve there.
    const live = (await api.listCustomObjects(projectsOf(cluster)))
      .filter((object) => object.metadata?.deletionTimestamp === undefined)
      .map((object) => projectOf(object, cluster));
    if (options.allProjects)
      for (const project of live)
        add(project, 'rancher2.allProjects', `${cluster}:${project.name}`);
    for (const name of options.projectNames) {
      const matches = live.filter((project) => project.displayName === name);
      if (matches.length === 1)
        add(matches[0] as RancherProject, 'rancher2.projectNames', `${cluster}:"${name}"`);
      else
        problems.push({
          path: 'rancher2.projectNames',
          selection: `${cluster}:"${name}"`,
          message: displayNameProblem(name, matches, live, cluster),
        });
    }
  }
  return { projects: [...found.values()], problems };
}

function displayNameProblem(
  name: string,
  matches: readonly RancherProject[],
  all: readonly RancherProject[],
  cluster: string,
): string {
  if (matches.length > 1) {
    return `${quoteInput(name)}: ${matches.length} projects of cluster ${cluster} have that name (${matches.map((project) => project.name).join(', ')}); name one by id`;
  }
  const known = all
    .slice(0, NAMES_SHOWN)
    .map((project) => `"${project.displayName}"`)
    .join(', ');
  const more = all.length > NAMES_SHOWN ? `, and ${all.length - NAMES_SHOWN} more` : '';
  return `${quoteInput(name)}: no project of cluster ${cluster} has that display name (known: ${known || 'none'}${more})`;
}

/**
 * A Project object as a {@link RancherProject}. The backing namespace is `status.backingNamespace`,
 * else the project's name, as Rancher's `GetProjectBackingNamespace` reads it; it is never built
 * from the ids, whose form changed in 2.11.1. Not validated here.
 */
function projectOf(object: KubeCustomObject, cluster: string): RancherProject {
  const name = object.metadata?.name ?? '';
  const displayName = typeof object.spec?.displayName === 'string' ? object.spec.displayName : name;
  const stated = object.status?.backingNamespace;
  const backingNamespace = typeof stated === 'string' && stated !== '' ? stated : name;
  return { cluster, name, displayName, backingNamespace };
}
