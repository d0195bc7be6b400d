import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  freePort,
  startRancherProxy,
  writeRancherKubeconfig,
  type KubeApiServer,
  type Moto,
  type RancherProxy,
  type RancherUser,
} from '../peers/index.ts';
import {
  createProject,
  createProjectNamespace,
  installRancherKinds,
  setRancherVersion,
  type ProjectSpec,
} from '../peers/rancher2/rancher-management.ts';
import { DUMMY_AWS_ENV, runCli, startCli, type CliRun } from '../support/run-cli.ts';
import { waitUntil } from '../peers/wait-until.ts';
import {
  DEPLOY_DIR,
  FAILURE_ONLY_GRANTS,
  HOST,
  MOTO_PASSWORD,
  SECRET,
  dockerConfigOf,
  intoFreshNamespace,
  kubectl,
  kustomize,
  readSecret,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';
import { grantsUse, installShippedRbac } from './rancher2-rbac.ts';

const PSS_LABEL = 'management.cattle.io/project-scoped-secret';
const CONTEXT = 'ecr-refresh-test';
// Nothing listens there: a run that asked ECR would fail.
const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/** A project of a fresh cluster id, with or without `status.backingNamespace`. */
function newProject(
  cluster: string,
  options: { displayName?: string; stated?: boolean } = {},
): ProjectSpec {
  const name = uniqueName('p');
  return {
    cluster,
    name,
    displayName: options.displayName ?? name,
    ...(options.stated === false ? {} : { backingNamespace: `${cluster}-${name}` }),
  };
}

function backingNamespaceOf(project: ProjectSpec): string {
  return project.backingNamespace ?? project.name;
}

// Rancher's management kinds installed by hand on the run's API server, with Rancher's copy of
// project-scoped Secrets left out: for what the real Rancher v2.15.0 (rancher2-server.spec.ts)
// cannot show here — Rancher 2.11–2.14 (versions) and downstream clusters (c-…, their backing
// namespaces c-…-p-…) behind an emulation of Rancher's proxy.
describe('e2e: ecr-refresh rancher2 on hand-installed Rancher kinds (2.12–2.14, downstream clusters)', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    await installRancherKinds(kube);
    await setRancherVersion(kube, 'v2.12.3');
  });

  const rancher2 = (args: readonly string[], endpoint = moto.endpoint): Promise<CliRun> =>
    runCli(
      [
        'rancher2',
        '-r',
        HOST,
        '--endpoint-url',
        endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '--output',
        'json',
        ...args,
      ],
      DUMMY_AWS_ENV,
    );

  /** Secrets named {@link SECRET} in the given namespaces (as the admin sees them). */
  async function secretsIn(namespaces: readonly string[]): Promise<string[]> {
    const found = await Promise.all(
      namespaces.map(async (namespace) =>
        (await readSecret(kube, namespace)) === undefined ? undefined : namespace,
      ),
    );
    return found.filter((namespace) => namespace !== undefined);
  }

  it('writes one labelled Secret per project into its backing namespace, stated or not, and nothing into the project namespaces', async () => {
    const cluster = uniqueName('c');
    const stated = newProject(cluster);
    const legacy = newProject(cluster, { stated: false });
    for (const project of [stated, legacy]) await createProject(kube, project);
    const projectNamespaces = [uniqueName('shop'), uniqueName('checkout')];
    for (const namespace of projectNamespaces)
      await createProjectNamespace(kube, namespace, stated);

    const run = await rancher2([
      '--project',
      `${cluster}:${stated.name}`,
      '--cluster',
      cluster,
      '--project',
      legacy.name,
    ]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), {
      created: [
        `${CONTEXT}/${cluster}:${legacy.name}`,
        `${CONTEXT}/${cluster}:${stated.name}`,
      ].sort(),
    });
    for (const project of [stated, legacy]) {
      const secret = await readSecret(kube, backingNamespaceOf(project));
      assert.equal(secret?.metadata?.labels?.[PSS_LABEL], project.name);
      assert.equal(dockerConfigOf(secret).auths[HOST]?.password, MOTO_PASSWORD);
    }
    assert.equal(backingNamespaceOf(legacy), legacy.name);
    assert.deepEqual(await secretsIn(projectNamespaces), []);
  });

  it('is unchanged while fresh (no ECR call), and updated in place when forced or past its half-life', async () => {
    const cluster = uniqueName('c');
    const project = newProject(cluster);
    await createProject(kube, project);
    const target = `${CONTEXT}/${cluster}:${project.name}`;
    assert.equal((await rancher2(['--project', `${cluster}:${project.name}`])).status, 0);
    const first = await readSecret(kube, backingNamespaceOf(project));

    const fresh = await rancher2(['--project', `${cluster}:${project.name}`], DEAD_ENDPOINT);
    assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);
    assert.deepEqual(targetsByAction(fresh.stdout), { unchanged: [target] });
    assert.equal(
      (await readSecret(kube, backingNamespaceOf(project))).metadata.resourceVersion,
      first.metadata.resourceVersion,
    );

    const forced = await rancher2(['--project', `${cluster}:${project.name}`, '--force']);
    assert.equal(forced.status, 0, forced.stdout + forced.stderr);
    assert.deepEqual(targetsByAction(forced.stdout), { updated: [target] });
    const after = await readSecret(kube, backingNamespaceOf(project));
    assert.equal(after.metadata.uid, first.metadata.uid, 'the same Secret, not a new one');
    assert.notEqual(after.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(after.metadata.labels[PSS_LABEL], project.name);

    // Past its half-life (its record says fetched 13 h ago, expired 1 h ago): updated without --force.
    after.metadata.annotations['ecr-refresh/fetched-at'] = new Date(
      Date.now() - 13 * 3600_000,
    ).toISOString();
    after.metadata.annotations['ecr-refresh/expires-at'] = new Date(
      Date.now() - 3600_000,
    ).toISOString();
    assert.equal(
      (
        await kube.request(
          'PUT',
          `/api/v1/namespaces/${backingNamespaceOf(project)}/secrets/${SECRET}`,
          after,
        )
      ).status,
      200,
    );
    const stale = await rancher2(['--project', `${cluster}:${project.name}`]);
    assert.equal(stale.status, 0, stale.stdout + stale.stderr);
    assert.deepEqual(targetsByAction(stale.stdout), { updated: [target] });
    const renewed = await readSecret(kube, backingNamespaceOf(project));
    assert.equal(renewed.metadata.uid, first.metadata.uid);
    assert.ok(
      Date.parse(renewed.metadata.annotations['ecr-refresh/fetched-at']) > Date.now() - 60_000,
      'a fresh record',
    );
  });

  it('finds projects by display name and serves every project of a cluster', async () => {
    const cluster = uniqueName('c');
    const projects = [
      newProject(cluster, { displayName: 'Payments, EU' }),
      newProject(cluster, { displayName: 'Default' }),
      newProject(cluster, { stated: false }),
    ];
    for (const project of projects) await createProject(kube, project);
    const byName = await rancher2([
      '--cluster',
      cluster,
      '--project-name',
      'Payments, EU',
      '--dry-run',
    ]);
    assert.equal(byName.status, 0, byName.stdout + byName.stderr);
    assert.deepEqual(targetsByAction(byName.stdout), {
      created: [`${CONTEXT}/${cluster}:${projects[0]?.name}`],
    });
    assert.deepEqual(
      await secretsIn(projects.map(backingNamespaceOf)),
      [],
      'a dry run writes nothing',
    );

    const all = await rancher2(['--cluster', cluster, '--all-projects']);
    assert.equal(all.status, 0, all.stdout + all.stderr);
    assert.equal(targetsByAction(all.stdout).created?.length, 3);
    assert.deepEqual(
      await secretsIn(projects.map(backingNamespaceOf)),
      projects.map(backingNamespaceOf),
    );
  });

  describe('refuses before any write, exit 64', () => {
    it('project ids and names that match nothing, or are malformed', async () => {
      const cluster = uniqueName('c');
      const project = newProject(cluster, { displayName: 'twin' });
      const twin = newProject(cluster, { displayName: 'twin' });
      for (const each of [project, twin]) await createProject(kube, each);
      for (const [args, expected] of [
        [
          ['--project', `${cluster}:p-nope0`, '--project', `${cluster}:${project.name}`],
          new RegExp(`no project p-nope0 in cluster ${cluster}`),
        ],
        [
          ['--cluster', cluster, '--project-name', 'twin'],
          /2 projects of cluster .* have that name/,
        ],
        [
          ['--cluster', cluster, '--project-name', 'Nope', '--project', project.name],
          /"Nope": no project of cluster .* has that display name \(known: "twin", "twin"\)/,
        ],
        [['--project', 'P_1'], /"P_1" not a Rancher project id/],
        [['--project', 'p-abc'], /a bare project id needs its cluster/],
      ] as const) {
        const run = await rancher2(args, DEAD_ENDPOINT);
        assert.equal(run.status, 64, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
        assert.match(run.stderr, expected);
      }
      assert.deepEqual(await secretsIn([project, twin].map(backingNamespaceOf)), []);
    });

    it('a Rancher older than 2.12, saying what to use instead', async () => {
      const cluster = uniqueName('c');
      const project = newProject(cluster);
      await createProject(kube, project);
      await setRancherVersion(kube, 'v2.11.4');
      try {
        const run = await rancher2(['--project', `${cluster}:${project.name}`], DEAD_ENDPOINT);
        assert.equal(run.status, 64, run.stdout + run.stderr);
        assert.match(
          run.stderr,
          /Rancher "v2\.11\.4" at context ecr-refresh-test has no project-scoped Secrets \(they came in v2\.12\.0\)/,
        );
        assert.match(
          run.stderr,
          /ecr-refresh k8s .*--selector field\.cattle\.io\/projectId=<p-xxxxx>/,
        );
      } finally {
        await setRancherVersion(kube, 'v2.12.3');
      }
      assert.deepEqual(await secretsIn([backingNamespaceOf(project)]), []);
    });
  });

  describe('with exactly the shipped RBAC of a ServiceAccount on the local cluster', () => {
    it('the CronJob install: no 403, every granted verb used', async () => {
      const project = newProject(uniqueName('c'));
      await createProject(kube, project);
      const install = await installShippedRbac(
        kube,
        { cluster: project.cluster, backingNamespace: backingNamespaceOf(project) },
        [],
      );
      const { kubeconfig } = install;
      const args = [
        'rancher2',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kubeconfig,
        '--output',
        'json',
        '--project',
        `${project.cluster}:${project.name}`,
      ];
      const run = await runCli(args, DUMMY_AWS_ENV);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), {
        created: [`${CONTEXT}/${project.cluster}:${project.name}`],
      });
      const forced = await runCli([...args, '--force'], DUMMY_AWS_ENV);
      assert.equal(forced.status, 0, forced.stdout + forced.stderr);
      // Someone writes JSON that is no docker config into the project Secret: the project fails, with a Warning Event on it.
      const secret = await readSecret(kube, backingNamespaceOf(project));
      const broken = {
        ...secret,
        data: { '.dockerconfigjson': Buffer.from('{"auths":5}').toString('base64') },
      };
      assert.equal(
        (
          await kube.request(
            'PUT',
            `/api/v1/namespaces/${backingNamespaceOf(project)}/secrets/${SECRET}`,
            broken,
          )
        ).status,
        200,
      );
      const failed = await runCli(args, DUMMY_AWS_ENV);
      assert.equal(failed.status, 1, failed.stdout + failed.stderr);
      const events = (
        await kube.request(
          'GET',
          `/apis/events.k8s.io/v1/namespaces/${backingNamespaceOf(project)}/events`,
        )
      ).body.items;
      assert.deepEqual(
        events.map((event: any) => [event.reason, event.regarding.kind, event.regarding.uid]),
        [['InvalidSecret', 'Secret', secret.metadata.uid]],
      );
      // `list` on projects serves --project-name and --all-projects only; `patch` on events writes
      // the count of a failure recurring after 10 minutes (proven with the k8s installs).
      const use = await grantsUse(kube, install);
      assert.deepEqual(use.refused, []);
      assert.deepEqual([...use.unused].sort(), ['events patch', 'projects list']);
    });

    it('the service-mode install: a deleted or unlabelled project Secret is restored at once; no 403, every granted verb used', async () => {
      const project = newProject(uniqueName('c'));
      await createProject(kube, project);
      const install = await installShippedRbac(
        kube,
        { cluster: project.cluster, backingNamespace: backingNamespaceOf(project) },
        ['service-mode'],
      );
      const { kubeconfig } = install;
      const port = await freePort();
      const service = startCli(
        [
          'rancher2',
          '--watch',
          '--listen',
          `127.0.0.1:${port}`,
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          kubeconfig,
          '--log-format',
          'json',
          '--project',
          `${project.cluster}:${project.name}`,
        ],
        DUMMY_AWS_ENV,
        120_000,
      );
      try {
        await waitUntil(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
          { what: '/readyz 200', timeoutMs: 30_000, intervalMs: 100 },
        );
        const first = await readSecret(kube, backingNamespaceOf(project));
        assert.equal(first?.metadata?.labels?.[PSS_LABEL], project.name);
        const deleted = await kube.request(
          'DELETE',
          `/api/v1/namespaces/${backingNamespaceOf(project)}/secrets/${SECRET}`,
        );
        assert.equal(deleted.status, 200);
        await waitUntil(
          async () =>
            (await readSecret(kube, backingNamespaceOf(project)))?.metadata?.labels?.[PSS_LABEL] ===
            project.name,
          { what: 'the project Secret restored', timeoutMs: 15_000, intervalMs: 50 },
        );
        // Without its label Rancher stops copying it (and deletes the copies): it is relabelled in place.
        const restored = await readSecret(kube, backingNamespaceOf(project));
        delete restored.metadata.labels[PSS_LABEL];
        const unlabelled = await kube.request(
          'PUT',
          `/api/v1/namespaces/${backingNamespaceOf(project)}/secrets/${SECRET}`,
          restored,
        );
        assert.equal(unlabelled.status, 200);
        await waitUntil(
          async () =>
            (await readSecret(kube, backingNamespaceOf(project)))?.metadata?.labels?.[PSS_LABEL] ===
            project.name,
          { what: 'the label restored', timeoutMs: 15_000, intervalMs: 50 },
        );
        assert.equal(
          (await readSecret(kube, backingNamespaceOf(project))).metadata.uid,
          restored.metadata.uid,
          'updated in place',
        );
      } finally {
        service.child.kill('SIGTERM');
        const exit = await service.exited;
        assert.equal(exit.status, 0, exit.stderr.slice(-2000));
      }
      // No project fails here: the Event grants stay unused.
      const use = await grantsUse(kube, install);
      assert.deepEqual(use.refused, []);
      assert.deepEqual([...use.unused].sort(), ['projects list', ...FAILURE_ONLY_GRANTS].sort());
    });
  });

  it('ships a kustomization that passes a server dry run and runs rancher2 on the projects its ConfigMap names', async () => {
    const objects = kustomize(kube, join(DEPLOY_DIR, 'rancher2'));
    await intoFreshNamespace(kube, objects);
    assert.match(
      kubectl(
        kube,
        ['apply', '--dry-run=server', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      ),
      /\(server dry run\)/,
    );
    const cronJob = objects.find((object) => object.kind === 'CronJob');
    assert.deepEqual(cronJob.spec.jobTemplate.spec.template.spec.containers[0].args, ['rancher2']);
    const settings = objects.find((object) => object.kind === 'ConfigMap').data;
    assert.equal(settings.ECR_REFRESH_PROJECT, 'CLUSTER_ID:PROJECT_ID');

    // The placeholder is refused until it is replaced; a real id in the variable is served.
    const unedited = await runCli(
      [
        'rancher2',
        '-r',
        HOST,
        '--endpoint-url',
        DEAD_ENDPOINT,
        '--kubeconfig',
        kube.kubeconfigPath,
      ],
      { ...DUMMY_AWS_ENV, ECR_REFRESH_PROJECT: settings.ECR_REFRESH_PROJECT },
    );
    assert.equal(unedited.status, 64, unedited.stderr);
    assert.match(unedited.stderr, /"CLUSTER_ID:PROJECT_ID" not a Rancher project id/);
    const cluster = uniqueName('c');
    const project = newProject(cluster);
    await createProject(kube, project);
    const run = await runCli(
      [
        'rancher2',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '--output',
        'json',
      ],
      { ...DUMMY_AWS_ENV, ECR_REFRESH_PROJECT: `${cluster}:${project.name}` },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), {
      created: [`${CONTEXT}/${cluster}:${project.name}`],
    });
  });

  describe("through Rancher's proxy, with a Rancher kubeconfig of the local cluster", () => {
    // The proxy serves the one API server as Rancher's local cluster and as the downstream cluster c-test.
    const DOWNSTREAM = 'c-test';
    let proxy: RancherProxy;
    let workdir: string;

    before(async () => {
      proxy = await startRancherProxy(kube, { clusterIds: ['local', DOWNSTREAM] });
      workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher2-'));
    });
    beforeEach(() => proxy.clearRecords());
    after(async () => {
      await proxy?.stop();
      await rm(workdir, { recursive: true, force: true });
    });

    /** A kubeconfig as Rancher writes it for the local cluster, logging in as `user`. */
    function localKubeconfig(user: RancherUser): Promise<string> {
      return writeRancherKubeconfig(join(workdir, `${uniqueName('local')}.yaml`), {
        clusterName: 'local',
        server: proxy.serverFor('local'),
        caPem: proxy.caPem,
        user: { token: proxy.issueToken(user) },
      });
    }

    async function bind(
      namespace: string | undefined,
      role: { kind: 'Role' | 'ClusterRole'; name: string; rules?: unknown[] },
      user: string,
    ): Promise<void> {
      const rbac = '/apis/rbac.authorization.k8s.io/v1';
      if (role.rules !== undefined) {
        const path =
          role.kind === 'Role' ? `${rbac}/namespaces/${namespace}/roles` : `${rbac}/clusterroles`;
        const created = await kube.request('POST', path, {
          metadata: { name: role.name },
          rules: role.rules,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
      const binding = {
        metadata: { name: `${role.name}-${user}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      };
      const bound = await kube.request(
        'POST',
        namespace === undefined
          ? `${rbac}/clusterrolebindings`
          : `${rbac}/namespaces/${namespace}/rolebindings`,
        binding,
      );
      assert.equal(bound.status, 201, JSON.stringify(bound.body));
    }

    it("checks the project's namespaces on its own cluster through Rancher's proxy, and warns of a Secret Rancher would overwrite", async () => {
      const project = newProject(DOWNSTREAM);
      await createProject(kube, project);
      const [handMade, empty] = [uniqueName('hand'), uniqueName('empty')];
      for (const namespace of [handMade, empty])
        await createProjectNamespace(kube, namespace, project);
      const created = await kube.request('POST', `/api/v1/namespaces/${handMade}/secrets`, {
        metadata: { name: SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
      });
      assert.equal(created.status, 201);
      const owner: RancherUser = { id: uniqueName('u') };
      await bind(undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, owner.id);

      const run = await runCli(
        [
          'rancher2',
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          await localKubeconfig(owner),
          '--output',
          'json',
          '--log-format',
          'json',
          '--project',
          `${DOWNSTREAM}:${project.name}`,
        ],
        DUMMY_AWS_ENV,
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const warning = run.stderr
        .split('\n')
        .find((line) => line.includes('Rancher will overwrite'));
      assert.deepEqual(JSON.parse(warning ?? '{}').namespaces, [handMade], run.stderr);
      const downstream = proxy.forwarded.filter((request) => request.clusterId === DOWNSTREAM);
      assert.ok(
        downstream.some(
          (request) => request.method === 'GET' && request.path.startsWith('/api/v1/namespaces?'),
        ),
        JSON.stringify(downstream),
      );
      assert.deepEqual(
        downstream.filter((request) => request.method !== 'GET'),
        [],
        'nothing is written on the downstream cluster',
      );
      assert.ok(
        proxy.forwarded.some(
          (request) => request.clusterId === 'local' && request.method === 'POST',
        ),
        'the Secret is written through /k8s/clusters/local',
      );
      assert.deepEqual(await secretsIn([empty]), []);
    });
  });
});
