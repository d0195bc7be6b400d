import * as z from 'zod';
import {
  DEFAULT_SECRET_NAME,
  DNS_LABEL,
  connectionOptions,
  objectName,
  parseSinkOptions,
  secretSinkOptions,
} from '../options.ts';

// Rancher names clusters `local`, `c-xxxxx` or `c-m-xxxxxxxx` and projects `p-xxxxx`; both are
// Kubernetes names (a Project is an object in its cluster's namespace), so any DNS label is taken.
const PROJECT_ID = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?):)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

const clusterId = z
  .string()
  .max(63, 'a cluster id has at most 63 characters')
  .regex(DNS_LABEL, 'not a Rancher cluster id (for example c-m-4xk2p9qz, or local)');

const projectId = z
  .string()
  .max(127, 'a project id has at most 127 characters')
  .regex(
    PROJECT_ID,
    'not a Rancher project id (p-xxxxx with --cluster, or c-xxxxx:p-xxxxx as Rancher shows it)',
  );

const displayName = z
  .string()
  .trim()
  .min(1, 'a project name cannot be empty')
  .max(253, 'a project name has at most 253 characters');

/**
 * Options of `createRancherProjectSink()`: which projects of which cluster get one
 * project-scoped dockerconfigjson Secret, read from Rancher's management (local) cluster.
 * Projects: ids (`p-xxxxx` with `cluster`, or `c-xxxxx:p-xxxxx`), display names within `cluster`,
 * or every project of `cluster`.
 */
export const RancherProjectSinkOptions = z
  .strictObject({
    kubeconfig: connectionOptions.kubeconfig,
    /** The context of Rancher's management (local) cluster; default: the current. */
    context: z.string().min(1, 'a context name cannot be empty').optional(),
    /** The cluster whose projects are meant, for bare project ids, display names and `allProjects`. */
    cluster: clusterId.optional(),
    projects: z.array(projectId).default([]),
    /** Projects by display name (as the Rancher UI shows them), within `cluster`. */
    projectNames: z.array(displayName).default([]),
    /** Every project of `cluster`. */
    allProjects: z.boolean().default(false),
    /** The project-scoped Secret's name; Rancher gives each copy the same name in every project namespace. */
    secretName: objectName('Secret').default(DEFAULT_SECRET_NAME),
    /** Take over a same-named dockerconfigjson Secret in the backing namespace that ecr-refresh did not create. */
    adopt: z.boolean().default(false),
    /** Projects worked on at the same time. */
    concurrency: z
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(64, 'expected at most 64')
      .default(4),
    timeoutMs: connectionOptions.timeoutMs,
    email: connectionOptions.email,
    secretLabels: secretSinkOptions.secretLabels,
    secretAnnotations: secretSinkOptions.secretAnnotations,
    events: secretSinkOptions.events,
  })
  .superRefine((options, check) => {
    if (
      options.projects.length === 0 &&
      options.projectNames.length === 0 &&
      !options.allProjects
    ) {
      check.addIssue({
        code: 'custom',
        path: ['projects'],
        message:
          'name at least one project: an id (c-xxxxx:p-xxxxx), a display name with its cluster, or every project of a cluster',
      });
    }
    if (options.cluster === undefined && (options.projectNames.length > 0 || options.allProjects)) {
      check.addIssue({
        code: 'custom',
        path: ['cluster'],
        message:
          'project names and "all projects" are looked up within one cluster: name it (c-xxxxx, or local)',
      });
    }
    options.projects.forEach((id, index) => {
      const { cluster } = splitProjectId(id);
      if (cluster === undefined && options.cluster === undefined) {
        check.addIssue({
          code: 'custom',
          path: ['projects', index],
          message: 'a bare project id needs its cluster: give c-xxxxx:p-xxxxx, or name the cluster',
        });
      } else if (
        cluster !== undefined &&
        options.cluster !== undefined &&
        cluster !== options.cluster
      ) {
        check.addIssue({
          code: 'custom',
          path: ['projects', index],
          message: `belongs to cluster ${cluster}, not to the cluster named (${options.cluster})`,
        });
      }
    });
  });

/** The options as given (defaults optional). */
export type RancherProjectSinkOptionsInput = z.input<typeof RancherProjectSinkOptions>;
/** The options after validation, defaults applied. */
export type RancherProjectSinkOptions = z.output<typeof RancherProjectSinkOptions>;

/** `c-xxxxx:p-xxxxx` → both parts; `p-xxxxx` → the project alone. The input has been validated. */
export function splitProjectId(id: string): { cluster: string | undefined; project: string } {
  const colon = id.indexOf(':');
  return colon === -1
    ? { cluster: undefined, project: id }
    : { cluster: id.slice(0, colon), project: id.slice(colon + 1) };
}

/** Validates `input`, reporting every problem at once; throws `ConfigError` before any request. */
export function parseRancherProjectSinkOptions(input: unknown): RancherProjectSinkOptions {
  return parseSinkOptions(RancherProjectSinkOptions, input, 'rancher2');
}
