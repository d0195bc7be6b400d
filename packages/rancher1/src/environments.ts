import type { CattleClient } from './cattle-client.ts';
import { CattleProject } from './cattle-resources.ts';
import type { CattleEndpoint } from './cattle-endpoint.ts';
import { EnvironmentNotFoundError } from './errors.ts';

/** A Rancher environment (Cattle project) to write to. */
export interface Environment {
  readonly id: string;
  /** The name when it has one, else the id: what targets are called by (`<label>/<host>`). */
  readonly label: string;
  /** `…/v2-beta/projects/<id>`: collections of the environment hang below it. */
  readonly base: string;
}

/** One environment asked for, resolved or not. */
export type EnvironmentChoice =
  | { environment: Environment }
  | { label: string; error: EnvironmentNotFoundError };

/**
 * The environments to write to: those named (by id, or by name, case-insensitively), else the
 * one the URL names, else every active environment the key can reach (an environment key
 * reaches only its own). A name or id that matches none, or a name that matches several, is
 * returned as an error for that choice alone. Rejects when the projects cannot be listed.
 */
export async function resolveEnvironments(
  client: CattleClient,
  endpoint: CattleEndpoint,
  accessKey: string,
  wanted: readonly string[],
): Promise<EnvironmentChoice[]> {
  const selection =
    wanted.length > 0 ? wanted : endpoint.projectId === undefined ? [] : [endpoint.projectId];
  const projects = await client.list(
    `${endpoint.apiRoot}/projects`,
    CattleProject,
    selection.join(', ') || `(all reachable by ${accessKey})`,
  );
  const toEnvironment = (project: CattleProject): Environment => ({
    id: project.id,
    label: project.name == null || project.name === '' ? project.id : project.name,
    base: `${endpoint.apiRoot}/projects/${encodeURIComponent(project.id)}`,
  });
  if (selection.length === 0) {
    return projects
      .filter((project) => project.state === 'active')
      .map((project) => ({ environment: toEnvironment(project) }));
  }
  const reachable =
    projects
      .map((project) => (project.name == null ? project.id : `${project.name} (${project.id})`))
      .join(', ') || 'none';
  return [...new Set(selection)].map((choice) => {
    const byId = projects.filter((project) => project.id === choice);
    const found =
      byId.length > 0
        ? byId
        : projects.filter((project) => project.name?.toLowerCase() === choice.toLowerCase());
    if (found.length === 1 && found[0] !== undefined)
      return { environment: toEnvironment(found[0]) };
    const why =
      found.length > 1
        ? `the name matches ${found.length} environments (${found.map((project) => project.id).join(', ')}); give the id instead`
        : `access key ${accessKey} cannot reach it (environments it can reach: ${reachable})`;
    return {
      label: choice,
      error: new EnvironmentNotFoundError(`environment "${choice}" not found: ${why}`),
    };
  });
}
