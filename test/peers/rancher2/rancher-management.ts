// Rancher 2.x's management (local) cluster, as far as `ecr-refresh rancher2` sees it, on the run's
// real API server: the Project and Setting kinds, Rancher's version, Projects with their backing
// namespaces, and downstream namespaces that belong to a project.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeApiServer } from '../kube/kube-apiserver.ts';
import { waitUntil } from '../wait-until.ts';

const CRDS = join(import.meta.dirname, 'management-crds.yaml');
const GROUP_PATH = '/apis/management.cattle.io/v3';

/** A Project as Rancher's webhook leaves it. */
export interface ProjectSpec {
  readonly cluster: string;
  readonly name: string;
  readonly displayName: string;
  /** `status.backingNamespace`; absent for projects created before Rancher 2.11.1 (then the project's name is used). */
  readonly backingNamespace?: string | undefined;
}

/**
 * Installs the Project, Setting and Cluster kinds (once per API server; later calls find them) and waits
 * until both are served.
 */
export async function installRancherKinds(kube: KubeApiServer): Promise<void> {
  const documents = parseAllDocuments(await readFile(CRDS, 'utf8')).map((document) =>
    document.toJS(),
  );
  for (const crd of documents) {
    const created = await kube.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd,
    );
    assert.ok(
      created.status === 201 || created.status === 409,
      `create CRD ${crd.metadata.name}: HTTP ${created.status} ${JSON.stringify(created.body)}`,
    );
  }
  await waitUntil(
    async () => {
      const served = await Promise.all(
        ['projects', 'settings', 'clusters'].map((plural) =>
          kube.request('GET', `${GROUP_PATH}/${plural}`),
        ),
      );
      return served.every((answer) => answer.status === 200);
    },
    { what: 'the Rancher kinds served', timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** Sets Rancher's `server-version` Setting, as Rancher does at start-up. */
export async function setRancherVersion(kube: KubeApiServer, version: string): Promise<void> {
  const path = `${GROUP_PATH}/settings/server-version`;
  const current = await kube.request('GET', path);
  const setting = {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Setting',
    metadata: { name: 'server-version' },
    value: version,
    default: 'dev',
    source: '',
  };
  const written =
    current.status === 404
      ? await kube.request('POST', `${GROUP_PATH}/settings`, setting)
      : await kube.request('PUT', path, {
          ...setting,
          metadata: { ...setting.metadata, resourceVersion: current.body.metadata.resourceVersion },
        });
  assert.ok(
    written.status === 200 || written.status === 201,
    `set server-version: HTTP ${written.status} ${JSON.stringify(written.body)}`,
  );
}

/**
 * Creates a Project in its cluster's namespace (created if missing) and its backing namespace,
 * as Rancher's controllers would.
 */
export async function createProject(kube: KubeApiServer, project: ProjectSpec): Promise<void> {
  await ensureNamespace(kube, project.cluster);
  const object = {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Project',
    metadata: { name: project.name, namespace: project.cluster },
    spec: { clusterName: project.cluster, displayName: project.displayName },
    ...(project.backingNamespace === undefined
      ? {}
      : { status: { backingNamespace: project.backingNamespace } }),
  };
  const created = await kube.request(
    'POST',
    `${GROUP_PATH}/namespaces/${project.cluster}/projects`,
    object,
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await ensureNamespace(kube, project.backingNamespace ?? project.name);
}

/** A Rancher cluster as its Cluster object on the management cluster says. */
export interface RancherClusterSpec {
  /** The cluster id (`c-m-xxxxxxxx`, or `local`). */
  readonly id: string;
  readonly displayName: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** The `Ready` condition's status; absent: no Ready condition yet (a cluster being provisioned). */
  readonly ready?: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
}

/**
 * Creates a Cluster object, then writes its status through the status subresource, as Rancher's
 * controllers do: `Provisioned` and, when given, `Ready` conditions.
 */
export async function createRancherCluster(
  kube: KubeApiServer,
  cluster: RancherClusterSpec,
): Promise<void> {
  const object = {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Cluster',
    metadata: { name: cluster.id, labels: cluster.labels ?? {} },
    spec: { displayName: cluster.displayName },
  };
  const created = await kube.request('POST', `${GROUP_PATH}/clusters`, object);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await writeClusterStatus(kube, created.body, cluster);
}

/** Rewrites a Cluster's status as `cluster` says (its `Ready` condition), as Rancher's controllers do when its agent connects or leaves. */
export async function setRancherClusterReady(
  kube: KubeApiServer,
  cluster: RancherClusterSpec,
): Promise<void> {
  const current = await kube.request('GET', `${GROUP_PATH}/clusters/${cluster.id}`);
  assert.equal(current.status, 200, JSON.stringify(current.body));
  await writeClusterStatus(kube, current.body, cluster);
}

/** Deletes a Cluster object, as removing a cluster from Rancher ends (no finalizer here). */
export async function deleteRancherCluster(kube: KubeApiServer, id: string): Promise<void> {
  const deleted = await kube.request('DELETE', `${GROUP_PATH}/clusters/${id}`);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
}

// The `Provisioned` and, when given, `Ready` conditions, through the status subresource.
async function writeClusterStatus(
  kube: KubeApiServer,
  object: unknown,
  cluster: RancherClusterSpec,
): Promise<void> {
  const now = new Date().toISOString();
  const conditions = [
    { type: 'Provisioned', status: 'True', lastUpdateTime: now },
    ...(cluster.ready === undefined
      ? []
      : [
          {
            type: 'Ready',
            status: cluster.ready,
            reason: cluster.reason ?? '',
            lastUpdateTime: now,
          },
        ]),
  ];
  const stated = await kube.request('PUT', `${GROUP_PATH}/clusters/${cluster.id}/status`, {
    ...(object as object),
    status: { conditions },
  });
  assert.equal(stated.status, 200, JSON.stringify(stated.body));
}

/** Creates a downstream namespace that belongs to `project`, labelled and annotated as Rancher does. */
export async function createProjectNamespace(
  kube: KubeApiServer,
  name: string,
  project: ProjectSpec,
): Promise<void> {
  const created = await kube.request('POST', '/api/v1/namespaces', {
    metadata: {
      name,
      labels: { 'field.cattle.io/projectId': project.name },
      annotations: { 'field.cattle.io/projectId': `${project.cluster}:${project.name}` },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
}

async function ensureNamespace(kube: KubeApiServer, name: string): Promise<void> {
  const created = await kube.request('POST', '/api/v1/namespaces', { metadata: { name } });
  assert.ok(
    created.status === 201 || created.status === 409,
    `create namespace ${name}: HTTP ${created.status}`,
  );
}
