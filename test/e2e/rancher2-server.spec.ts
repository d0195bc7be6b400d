// `ecr-refresh rancher2` on the real Rancher v2.15.0 (test/peers/rancher2): projects made through
// Rancher's API, every request through Rancher's `/k8s/clusters/local` proxy with a Rancher token,
// and the copies made by Rancher's own project-scoped-secret controller.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  bindRancherProjectRole,
  createRancherNamespace,
  createRancherProject,
  createRancherUser,
  freePort,
  useMoto,
  useRancher2,
  type Moto,
  type Rancher2,
  type RancherProjectRef,
  type RancherSession,
} from '../peers/index.ts';
import { waitUntil } from '../peers/wait-until.ts';
import { DUMMY_AWS_ENV, runCli, startCli, type CliRun } from '../support/run-cli.ts';
import {
  DEPLOY_DIR,
  FAILURE_ONLY_GRANTS,
  HOST,
  MOTO_PASSWORD,
  SECRET,
  dockerConfigOf,
  readSecret,
  targetsByAction,
  uniqueName,
} from './k8s-helpers.ts';
import { grantsUse, installShippedRbac } from './rancher2-rbac.ts';

const PSS_LABEL = 'management.cattle.io/project-scoped-secret';
const PSS_CLUSTER_LABEL = 'management.cattle.io/project-scoped-secret-cluster';
const COPY_ANNOTATION = 'management.cattle.io/project-scoped-secret-copy';
const USER_SECRET_ANNOTATION = 'secret.user.cattle.io/secret';
const OTHER_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
// Rancher copies within about 0.1 s here; generous for a loaded machine.
const COPY_WAIT_MS = 20_000;
// A cold start builds Rancher first (10 min alone on 2 cores, an hour on a busy shared machine),
// and may wait for another run's Rancher to stop.
const BUILD_AND_START_MS = 120 * 60_000;

describe('e2e: ecr-refresh rancher2 on the real Rancher v2.15.0 (project-scoped Secrets copied by Rancher)', function () {
  this.timeout(120_000);
  let rancher: Rancher2;
  let moto: Moto;

  before(async function () {
    this.timeout(BUILD_AND_START_MS);
    [rancher, moto] = await Promise.all([useRancher2(), useMoto()]);
    await moto.reset();
  });

  /** `ecr-refresh rancher2` with a kubeconfig Rancher issued (default: the admin's, through `/k8s/clusters/local`). */
  const rancher2 = (
    args: readonly string[],
    kubeconfig = rancher.adminKubeconfigPath,
  ): Promise<CliRun> =>
    runCli(
      [
        'rancher2',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kubeconfig,
        '--output',
        'json',
        ...args,
      ],
      DUMMY_AWS_ENV,
    );

  /** A project made through Rancher's API, with `count` namespaces that joined it. */
  async function projectWithNamespaces(
    count: number,
  ): Promise<{ project: RancherProjectRef; namespaces: string[] }> {
    const project = await createRancherProject(rancher, uniqueName('Payments'));
    const namespaces = Array.from({ length: count }, () => uniqueName('team'));
    for (const namespace of namespaces) await createRancherNamespace(rancher, namespace, project);
    return { project, namespaces };
  }

  /** The project Secret in the backing namespace Rancher gave the project. */
  async function sourceOf(project: RancherProjectRef): Promise<any> {
    return readSecret(rancher.kube, await backingNamespaceOf(project));
  }

  async function backingNamespaceOf(project: RancherProjectRef): Promise<string> {
    const object = await rancher.kube.request(
      'GET',
      `/apis/management.cattle.io/v3/namespaces/${project.cluster}/projects/${project.name}`,
    );
    assert.equal(object.status, 200, JSON.stringify(object.body));
    return object.body.status?.backingNamespace || project.name;
  }

  /** Waits until each namespace holds Rancher's copy of the project Secret as it is now (data, labels, annotations). */
  async function copiesFollow(
    project: RancherProjectRef,
    namespaces: readonly string[],
  ): Promise<any[]> {
    let copies: any[] = [];
    await waitUntil(
      async () => {
        const source = await sourceOf(project);
        copies = await Promise.all(
          namespaces.map((namespace) => readSecret(rancher.kube, namespace)),
        );
        return copies.every(
          (copy) =>
            copy?.metadata?.annotations?.[COPY_ANNOTATION] === 'true' &&
            JSON.stringify(copy.data) === JSON.stringify(source.data),
        );
      },
      {
        what: `Rancher's copies in ${namespaces.join(', ')}`,
        timeoutMs: COPY_WAIT_MS,
        intervalMs: 50,
      },
    );
    return copies;
  }

  it('writes the project Secret through /k8s/clusters/local with a Rancher token; Rancher copies it into every namespace of the project, and into one that joins later', async () => {
    const { project, namespaces } = await projectWithNamespaces(2);
    const outsider = uniqueName('outside');
    await rancher.kube.createNamespace(outsider);

    // The kubeconfig as Rancher issues it: its proxy path, its CA folded into a quoted scalar, a kubeconfig token.
    const text = await readFile(rancher.adminKubeconfigPath, 'utf8');
    const config = parse(text);
    assert.equal(config.clusters[0].cluster.server, `${rancher.origin}/k8s/clusters/local`);
    assert.match(text, /certificate-authority-data: "[A-Za-z0-9+/=]+\\\n {6}[A-Za-z0-9+/=]/);
    assert.equal(
      Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64')
        .toString()
        .trim(),
      rancher.caPem.trim(),
    );
    assert.match(
      config.users[0].user.token,
      new RegExp(`^kubeconfig-${rancher.userId}[-.a-z0-9]*:[a-z0-9]+$`),
    );

    const run = await rancher2(['--project', project.id]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), { created: [`local/${project.id}`] });
    // Without Rancher's webhook the Project states no backing namespace: the project's name is used.
    assert.equal(await backingNamespaceOf(project), project.name);
    const source = await sourceOf(project);
    assert.equal(source.metadata.labels[PSS_LABEL], project.name);
    assert.equal(dockerConfigOf(source).auths[HOST]?.password, MOTO_PASSWORD);

    for (const copy of await copiesFollow(project, namespaces)) {
      assert.equal(copy.type, 'kubernetes.io/dockerconfigjson');
      assert.equal(copy.metadata.labels[PSS_LABEL], project.name);
      assert.equal(copy.metadata.annotations[USER_SECRET_ANNOTATION], 'true');
      assert.equal(dockerConfigOf(copy).auths[HOST]?.password, MOTO_PASSWORD);
    }
    assert.equal(
      await readSecret(rancher.kube, outsider),
      undefined,
      'no copy outside the project',
    );
    // Rancher 2.15 labels the source with its cluster (and the copies with it, as they copy it).
    await waitUntil(
      async () => (await sourceOf(project)).metadata.labels[PSS_CLUSTER_LABEL] === 'local',
      { what: 'the cluster label on the source', timeoutMs: COPY_WAIT_MS, intervalMs: 50 },
    );

    const late = uniqueName('late');
    await createRancherNamespace(rancher, late, project);
    await copiesFollow(project, [late]);

    // Every request of the run reached the API server through Rancher, as the Rancher user. The
    // Rancher is shared by the suites of a run (the fleet suite writes as the same user), so only
    // the namespaces of this test count.
    const ours = new Set([project.name, ...namespaces, outsider, late]);
    const written = (await rancher.kube.auditEvents(rancher.userId)).filter(
      (event) =>
        event.stage === 'ResponseComplete' &&
        event.verb === 'create' &&
        event.objectRef?.resource === 'secrets' &&
        ours.has(event.objectRef.namespace ?? ''),
    );
    assert.deepEqual(
      written.map(
        (event) =>
          `${event.objectRef?.namespace}/${event.objectRef?.name} ${event.responseStatus?.code}`,
      ),
      [`${project.name}/${SECRET} 201`],
    );
  });

  it("serves a project whose backing namespace is stated as Rancher's webhook names it (cluster-project), which Rancher creates and copies from", async () => {
    // What the webhook (absent here) does to every Project since 2.11.1: status.backingNamespace = <cluster>-<project>.
    const name = uniqueName('p');
    const project: RancherProjectRef = {
      id: `local:${name}`,
      cluster: 'local',
      name,
      displayName: uniqueName('Stated'),
    };
    const created = await rancher.kube.request(
      'POST',
      '/apis/management.cattle.io/v3/namespaces/local/projects',
      {
        apiVersion: 'management.cattle.io/v3',
        kind: 'Project',
        metadata: { name },
        spec: { clusterName: 'local', displayName: project.displayName },
        status: { backingNamespace: `local-${name}` },
      },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitUntil(
      async () =>
        (await rancher.kube.request('GET', `/api/v1/namespaces/local-${name}`)).status === 200,
      { what: 'the stated backing namespace, made by Rancher', timeoutMs: 30_000, intervalMs: 100 },
    );
    const namespace = uniqueName('team');
    await createRancherNamespace(rancher, namespace, project);

    const run = await rancher2(['--project', project.id]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(await backingNamespaceOf(project), `local-${name}`);
    assert.equal(
      (await readSecret(rancher.kube, `local-${name}`))?.metadata?.labels?.[PSS_LABEL],
      name,
    );
    assert.equal(
      await readSecret(rancher.kube, name),
      undefined,
      'nothing in a namespace named like the project',
    );
    await copiesFollow(project, [namespace]);
  });

  it('updates the project Secret in place: a new registry reaches every copy, which Rancher updates in place too', async () => {
    const { project, namespaces } = await projectWithNamespaces(2);
    assert.equal((await rancher2(['--project', project.id])).status, 0);
    const [source, copies] = [await sourceOf(project), await copiesFollow(project, namespaces)];

    const more = await rancher2(['--project', project.id, '-r', OTHER_HOST]);
    assert.equal(more.status, 0, more.stdout + more.stderr);
    assert.deepEqual(targetsByAction(more.stdout), { updated: [`local/${project.id}`] });
    const updated = await sourceOf(project);
    assert.equal(updated.metadata.uid, source.metadata.uid, 'the same Secret, not a new one');
    const followed = await copiesFollow(project, namespaces);
    followed.forEach((copy, index) => {
      assert.deepEqual(Object.keys(dockerConfigOf(copy).auths).sort(), [OTHER_HOST, HOST].sort());
      assert.equal(
        copy.metadata.uid,
        copies[index].metadata.uid,
        'Rancher updated its copy in place',
      );
    });

    const again = await rancher2(['--project', project.id, '-r', OTHER_HOST]);
    assert.deepEqual(targetsByAction(again.stdout), { unchanged: [`local/${project.id}`] });
  });

  it('warns of a same-named Secret in the project that Rancher did not make, which Rancher then overwrites', async () => {
    const { project, namespaces } = await projectWithNamespaces(2);
    const [handMade] = namespaces;
    const created = await rancher.request(
      'POST',
      `/k8s/clusters/local/api/v1/namespaces/${handMade}/secrets`,
      {
        metadata: { name: SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: {
          '.dockerconfigjson': Buffer.from(
            '{"auths":{"registry.example.com":{"auth":"a2VlcDptZQ=="}}}',
          ).toString('base64'),
        },
      },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const run = await rancher2(['--project', project.id, '--log-format', 'json']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const warnings = run.stderr
      .split('\n')
      .filter((line) => line.includes('Rancher will overwrite'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.deepEqual(JSON.parse(warnings[0] ?? '{}').namespaces, [handMade]);
    // As Rancher's docs say: the existing Secret is overwritten by the project-scoped one.
    const [overwritten] = await copiesFollow(project, [handMade as string]);
    assert.deepEqual(Object.keys(dockerConfigOf(overwritten).auths), [HOST]);

    const second = await rancher2(['--project', project.id, '--force', '--log-format', 'json']);
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(
      second.stderr,
      /Rancher will overwrite/,
      "Rancher's own copies are not warned of",
    );
  });

  it('serves every project of the local cluster with --all-projects, the Default and System projects included', async () => {
    const ours = [
      await createRancherProject(rancher, uniqueName('Web')),
      await createRancherProject(rancher, uniqueName('Batch')),
    ];
    const listed = await rancher.request('GET', '/v3/projects?clusterId=local');
    assert.equal(listed.status, 200);
    const all = listed.body.data.map((project: { id: string }) => `local/${project.id}`).sort();
    assert.ok(
      listed.body.data.some((project: { name: string }) => project.name === 'System'),
      'Rancher made its System project',
    );

    const run = await rancher2(['--cluster', 'local', '--all-projects']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const byAction = targetsByAction(run.stdout);
    assert.deepEqual(Object.values(byAction).flat().sort(), all);
    for (const project of ours)
      assert.ok(byAction.created?.includes(`local/${project.id}`), JSON.stringify(byAction));
    assert.equal(byAction.failed, undefined);
  });

  it('restores a deleted project Secret with --watch: Rancher removes the copies of a deleted one, and keeps them when it comes back at once', async () => {
    const { project, namespaces } = await projectWithNamespaces(2);
    assert.equal((await rancher2(['--project', project.id])).status, 0);
    await copiesFollow(project, namespaces);
    // Nobody restores it: Rancher deletes every copy, and pulls in the project would fail.
    assert.equal(
      (await rancher.kube.request('DELETE', `/api/v1/namespaces/${project.name}/secrets/${SECRET}`))
        .status,
      200,
    );
    await waitUntil(
      async () =>
        (
          await Promise.all(namespaces.map((namespace) => readSecret(rancher.kube, namespace)))
        ).every((copy) => copy === undefined),
      {
        what: 'the copies removed by Rancher',
        timeoutMs: COPY_WAIT_MS,
        intervalMs: 50,
      },
    );

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
        rancher.adminKubeconfigPath,
        '--log-format',
        'json',
        '--project',
        project.id,
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
      // Its first refresh wrote the Secret again, and Rancher copied it again.
      const first = await sourceOf(project);
      await copiesFollow(project, namespaces);

      assert.equal(
        (
          await rancher.kube.request(
            'DELETE',
            `/api/v1/namespaces/${project.name}/secrets/${SECRET}`,
          )
        ).status,
        200,
      );
      await waitUntil(
        async () => {
          const restored = await sourceOf(project);
          return (
            restored !== undefined &&
            restored.metadata.uid !== first.metadata.uid &&
            restored.metadata.labels?.[PSS_LABEL] === project.name
          );
        },
        { what: 'the project Secret restored', timeoutMs: 15_000, intervalMs: 50 },
      );
      // Restored before Rancher acted on the deletion: the copies stay (or, on a slower machine, are made again).
      for (const copy of await copiesFollow(project, namespaces))
        assert.equal(dockerConfigOf(copy).auths[HOST]?.password, MOTO_PASSWORD);
    } finally {
      service.child.kill('SIGTERM');
      const exit = await service.exited;
      assert.equal(exit.status, 0, exit.stderr.slice(-2000));
    }
  });

  it("is refused by `ecr-refresh k8s`: Rancher's copies are left to Rancher", async () => {
    const { project, namespaces } = await projectWithNamespaces(1);
    assert.equal((await rancher2(['--project', project.id])).status, 0);
    // Rancher labels the source with its cluster once, after its first copy, and the copies follow
    // (a write of Rancher's): the copy is taken as it stands once it carries that label.
    let copy: any;
    await waitUntil(
      async () => {
        [copy] = await copiesFollow(project, namespaces);
        return copy?.metadata?.labels?.[PSS_CLUSTER_LABEL] === 'local';
      },
      { what: 'the cluster label on the copy', timeoutMs: COPY_WAIT_MS, intervalMs: 50 },
    );

    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        rancher.adminKubeconfigPath,
        '-n',
        namespaces.join(','),
        '--force',
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const [result] = JSON.parse(run.stdout).results;
    assert.equal(result.action, 'failed');
    assert.match(result.error.message, /Rancher's copy of a project-scoped Secret/);
    assert.equal(
      (await readSecret(rancher.kube, namespaces[0] as string)).metadata.resourceVersion,
      copy.metadata.resourceVersion,
      'the copy is untouched',
    );
    const writes = (await rancher.kube.auditEvents(rancher.userId)).filter(
      (event) =>
        event.stage === 'ResponseComplete' &&
        ['create', 'update', 'patch', 'delete'].includes(event.verb) &&
        event.objectRef?.resource === 'secrets' &&
        event.objectRef.namespace === namespaces[0],
    );
    assert.deepEqual(
      writes.map((event) => `${event.verb} ${event.objectRef?.name}`),
      [],
      'no write of the user to a Secret of the copy namespace',
    );
  });

  it("runs with exactly the shipped RBAC of a ServiceAccount (deploy/rancher2) on Rancher's local cluster", async () => {
    const { project, namespaces } = await projectWithNamespaces(1);
    const install = await installShippedRbac(
      rancher.kube,
      { cluster: project.cluster, backingNamespace: await backingNamespaceOf(project) },
      [],
    );
    const run = await rancher2(
      ['--project', project.id, '--log-format', 'json'],
      install.kubeconfig,
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), { created: [`ecr-refresh-test/${project.id}`] });
    await copiesFollow(project, namespaces);
    const forced = await rancher2(['--project', project.id, '--force'], install.kubeconfig);
    assert.deepEqual(
      targetsByAction(forced.stdout),
      { updated: [`ecr-refresh-test/${project.id}`] },
      forced.stderr,
    );
    // For the local cluster's own projects the overwrite check needs `list` on namespaces, which
    // the install does not grant: refused, and reported as a warning (README, Permissions).
    assert.match(run.stderr, /cannot check the namespaces of project local:p-[a-z0-9]+/);
    const use = await grantsUse(rancher.kube, install);
    assert.deepEqual(use.refused, ['list namespaces']);
    // No project fails here: the Event grants (a failure's, proven in rancher2-cli.spec.ts) stay unused.
    assert.deepEqual([...use.unused].sort(), ['projects list', ...FAILURE_ONLY_GRANTS].sort());
  });

  describe('a Rancher user with a project role, through a kubeconfig Rancher issued them', () => {
    const ROLE_TEMPLATE = 'project-role-template.yaml';
    let template: any;

    before(async () => {
      template = parseAllDocuments(
        await readFile(join(DEPLOY_DIR, 'rancher2', ROLE_TEMPLATE), 'utf8'),
      )[0]?.toJS();
      // `kubectl apply -f deploy/rancher2/project-role-template.yaml` on the local cluster.
      const created = await rancher.kube.request(
        'POST',
        '/apis/management.cattle.io/v3/roletemplates',
        template,
      );
      assert.ok(created.status === 201 || created.status === 409, JSON.stringify(created.body));
    });

    /** A new user of `globalRole` holding `roleTemplate` in `project`, logged in, with Rancher's kubeconfig of `local`. */
    async function member(
      project: RancherProjectRef,
      roleTemplate: string,
    ): Promise<{ session: RancherSession; kubeconfig: string }> {
      const username = uniqueName('ci');
      const password = `${uniqueName('pw')}-${uniqueName('x')}`;
      const userId = await createRancherUser(rancher, username, password);
      await bindRancherProjectRole(rancher, project, userId, roleTemplate);
      const session = await rancher.login(username, password);
      const kubeconfig = join(rancher.dir, `${username}.yaml`);
      await writeFile(kubeconfig, await session.generateKubeconfig('local'));
      return { session, kubeconfig };
    }

    /** The Role Rancher made from a project role in a namespace, once it is there. */
    async function roleIn(namespace: string, name: string): Promise<any> {
      let role: any;
      await waitUntil(
        async () => {
          const response = await rancher.kube.request(
            'GET',
            `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${name}`,
          );
          role = response.status === 200 ? response.body : undefined;
          return role !== undefined;
        },
        { what: `Role ${namespace}/${name}`, timeoutMs: 30_000, intervalMs: 100 },
      );
      return role;
    }

    it('the shipped project role: Rancher grants its secrets rule in the backing namespace, and the run needs nothing more', async () => {
      const { project, namespaces } = await projectWithNamespaces(1);
      const { session, kubeconfig } = await member(project, template.metadata.name);
      assert.match(
        parse(await readFile(kubeconfig, 'utf8')).users[0].user.token,
        new RegExp(`^kubeconfig-${session.userId}[-.a-z0-9]*:`),
      );
      assert.match(session.userId, /^u-[a-z0-9]+$/, 'users made since the first start have u- ids');
      const role = await roleIn(project.name, template.metadata.name);
      assert.deepEqual(role.rules, [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'update'] },
      ]);

      const run = await rancher2(['--project', project.id, '--log-format', 'json'], kubeconfig);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), { created: [`local/${project.id}`] });
      await copiesFollow(project, namespaces);
      const refused = (await rancher.kube.auditEvents(session.userId)).filter(
        (event) => event.stage === 'ResponseComplete' && event.responseStatus?.code === 403,
      );
      assert.deepEqual(
        refused.map((event) => `${event.verb} ${event.objectRef?.resource}`),
        ['list namespaces'],
        'only the overwrite check, which members may not make',
      );
      assert.match(
        run.stderr,
        /cannot check the namespaces of project local:p-[a-z0-9]+ for Secrets named ecr-pull-credentials/,
      );
    });

    it('a project role whose secrets rule names resourceNames grants nothing in the backing namespace', async () => {
      const narrow = {
        ...template,
        metadata: { name: uniqueName('ecr-refresh-narrow') },
        rules: [
          {
            apiGroups: [''],
            resources: ['secrets'],
            resourceNames: [SECRET],
            verbs: ['get', 'update'],
          },
          { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        ],
      };
      const created = await rancher.kube.request(
        'POST',
        '/apis/management.cattle.io/v3/roletemplates',
        narrow,
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { project } = await projectWithNamespaces(1);
      const { kubeconfig } = await member(project, narrow.metadata.name);
      // Rancher copies the rule without resourceNames only: `create` on every Secret, no get or update.
      const role = await roleIn(project.name, narrow.metadata.name);
      assert.deepEqual(role.rules, [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ]);

      const first = await rancher2(['--project', project.id], kubeconfig);
      assert.equal(first.status, 1, first.stdout + first.stderr);
      assert.match(first.stdout + first.stderr, /403|forbidden/i);
    });
  });
});
