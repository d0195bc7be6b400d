/**
 * What ecr-refresh reads and writes of Rancher 2.x on its management (local) cluster, by name.
 * Sources: rancher/rancher `pkg/apis/management.cattle.io/v3` and
 * `pkg/controllers/managementuser/secret/project_scoped_secrets.go` (see
 * shared/reference/rancher2.md).
 */
import type { CustomResourceKind } from '../kube-api.ts';
import { RANCHER_COPY_ANNOTATION } from '../secret-record.ts';

const GROUP = 'management.cattle.io';

/** `projects.management.cattle.io`, namespaced: a cluster's Projects live in the namespace named by the cluster id. */
export function projectsOf(clusterId: string): CustomResourceKind {
  return { group: GROUP, version: 'v3', plural: 'projects', namespace: clusterId };
}

/**
 * `clusters.management.cattle.io`, cluster-wide: every cluster Rancher manages, by id (`local`,
 * `c-m-xxxxxxxx`), with `spec.displayName` and `status.conditions` (`Ready`). Rancher registers it
 * at start-up without a schema, with a status subresource (`pkg/crds/dashboard/crds.go`).
 */
export const CLUSTERS: CustomResourceKind = { group: GROUP, version: 'v3', plural: 'clusters' };

/** The id of Rancher's own (management) cluster. */
export const LOCAL_CLUSTER_ID = 'local';

/** The condition of a Cluster that says Rancher can reach its API (`ClusterConditionReady`). */
export const CLUSTER_READY_CONDITION = 'Ready';

/** `settings.management.cattle.io`, cluster-wide; every Rancher user may read them (global role `user-base`). */
export const SETTINGS: CustomResourceKind = { group: GROUP, version: 'v3', plural: 'settings' };

/** The Setting holding the running Rancher's version (`v2.12.3`, or `dev`/`v2.12-head` for builds). */
export const SERVER_VERSION_SETTING = 'server-version';

/** On a Secret in a project's backing namespace: Rancher copies it into every namespace of that project (2.12+). Value: the bare project name. */
export const PROJECT_SCOPED_SECRET_LABEL = 'management.cattle.io/project-scoped-secret';

/** On each copy Rancher writes into a project namespace; a same-named Secret without it is someone else's, and Rancher overwrites it. */
export const PROJECT_SCOPED_COPY_ANNOTATION = RANCHER_COPY_ANNOTATION;

/** On a downstream namespace: the bare name of the project it belongs to. */
export const NAMESPACE_PROJECT_LABEL = 'field.cattle.io/projectId';

/** The first Rancher release that copies project-scoped Secrets. */
export const FIRST_PROJECT_SCOPED_SECRETS_RELEASE = { major: 2, minor: 12 } as const;
