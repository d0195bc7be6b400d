// Shared by the Rancher 2.x suites: deploy/rancher2's RBAC for a ServiceAccount, installed for one
// project on an API server (the hand-made management kinds, or the real Rancher's own), and what
// that ServiceAccount was refused or never used, from the audit log.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeApiServer } from '../peers/index.ts';
import { DEPLOY_DIR, kubectl, kustomize, uniqueName } from './k8s-helpers.ts';

/** One project's place on the management cluster: its cluster id and backing namespace. */
export interface ProjectPlace {
  readonly cluster: string;
  readonly backingNamespace: string;
}

/** A ServiceAccount holding exactly the shipped RBAC for one project. */
export interface ShippedInstall {
  /** A kubeconfig that logs in with the ServiceAccount's token, straight to the API server. */
  readonly kubeconfig: string;
  /** `system:serviceaccount:<ns>:ecr-refresh`, as the audit log names it. */
  readonly user: string;
  /** The `resource verb` pairs the install's ClusterRoles grant. */
  readonly granted: readonly string[];
}

/**
 * Applies deploy/rancher2 (with `components`, e.g. `service-mode`) and its project-access.yaml
 * for `project` as the ServiceAccount of a fresh namespace; cluster-wide objects are renamed so
 * that tests never share them.
 */
export async function installShippedRbac(
  kube: KubeApiServer,
  project: ProjectPlace,
  components: readonly string[],
): Promise<ShippedInstall> {
  const installNamespace = uniqueName('ecr-refresh');
  await kube.createNamespace(installNamespace);
  const objects = await shippedRbac(kube, project, installNamespace, components);
  kubectl(
    kube,
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
  const token = await kube.createServiceAccountToken(installNamespace, 'ecr-refresh');
  const granted = objects
    .filter((object) => object.kind === 'ClusterRole')
    .flatMap((role) =>
      role.rules.flatMap((rule: any) =>
        rule.resources.flatMap((resource: string) =>
          rule.verbs.map((verb: string) => `${resource} ${verb}`),
        ),
      ),
    );
  return {
    kubeconfig: await kube.kubeconfigForToken(token, installNamespace),
    user: `system:serviceaccount:${installNamespace}:ecr-refresh`,
    granted: [...new Set(granted)],
  };
}

/** What the install's ServiceAccount was refused (`verb resource`), and the granted pairs it never used. */
export async function grantsUse(
  kube: KubeApiServer,
  install: ShippedInstall,
): Promise<{ refused: string[]; unused: string[] }> {
  const events = (await kube.auditEvents(install.user)).filter(
    (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
  );
  const refused = events
    .filter((event) => event.responseStatus?.code === 403)
    .map((event) => `${event.verb} ${event.objectRef?.resource}`);
  const used = new Set(events.map((event) => `${event.objectRef?.resource} ${event.verb}`));
  return { refused, unused: install.granted.filter((pair) => !used.has(pair)) };
}

async function shippedRbac(
  kube: KubeApiServer,
  project: ProjectPlace,
  installNamespace: string,
  components: readonly string[],
): Promise<any[]> {
  const overlay = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher2-overlay-'));
  await writeFile(
    join(overlay, 'kustomization.yaml'),
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(overlay, join(DEPLOY_DIR, 'rancher2'))],
      components: components.map((component) =>
        relative(overlay, join(DEPLOY_DIR, 'rancher2', component)),
      ),
    }),
  );
  const access = (await readFile(join(DEPLOY_DIR, 'rancher2', 'project-access.yaml'), 'utf8'))
    .replaceAll('CLUSTER_ID', project.cluster)
    .replaceAll('BACKING_NAMESPACE', project.backingNamespace);
  const rendered = [
    ...kustomize(kube, overlay),
    ...parseAllDocuments(access).map((document) => document.toJS()),
  ];
  await rm(overlay, { recursive: true, force: true });
  const objects = rendered.filter((object) =>
    /^(ClusterRole|ClusterRoleBinding|RoleBinding|ServiceAccount)$/.test(object.kind),
  );
  for (const object of objects) {
    if (object.kind.startsWith('Cluster'))
      object.metadata.name = `${object.metadata.name}-${installNamespace}`;
    if (object.kind === 'ServiceAccount') object.metadata.namespace = installNamespace;
    if (object.roleRef?.kind === 'ClusterRole')
      object.roleRef.name = `${object.roleRef.name}-${installNamespace}`;
    for (const subject of object.subjects ?? []) subject.namespace = installNamespace;
  }
  return objects;
}
