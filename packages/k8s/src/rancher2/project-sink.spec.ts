import assert from 'node:assert/strict';
import {
  ConfigError,
  SinkWriteError,
  silentLogger,
  type Logger,
  type TargetResult,
} from '@ecr-refresh/core';
import { FakeKubeApi } from '../__fixtures__/fake-kube-api.ts';
import { contextFor } from '../__fixtures__/apply-context.ts';
import type { KubeApi } from '../kube-api.ts';
import { createRancherProjectSink } from './project-sink.ts';
import type { RancherProjectSinkOptionsInput } from './project-options.ts';
import {
  PROJECT_SCOPED_COPY_ANNOTATION,
  PROJECT_SCOPED_SECRET_LABEL,
  SETTINGS,
  projectsOf,
} from './rancher-objects.ts';

const SECRET = 'ecr-pull-credentials';
const CLUSTER = 'c-m-4xk2p9qz';

/** The management cluster: Rancher `version`, and Projects as Rancher's webhook leaves them. */
function managementCluster(version: string | null = 'v2.12.3'): FakeKubeApi {
  const api = new FakeKubeApi();
  if (version !== null)
    api.putCustomObject(SETTINGS, {
      metadata: { name: 'server-version' },
      value: version,
      default: 'dev',
    });
  addProject(api, 'p-new01', 'payments', `${CLUSTER}-p-new01`);
  // Created before 2.11.1: the backing namespace is the project's name, and the field may be empty.
  addProject(api, 'p-old02', 'legacy', undefined);
  addProject(api, 'p-twin1', 'twins', `${CLUSTER}-p-twin1`);
  addProject(api, 'p-twin2', 'twins', `${CLUSTER}-p-twin2`);
  return api;
}

function addProject(
  api: FakeKubeApi,
  name: string,
  displayName: string,
  backingNamespace: string | undefined,
): void {
  api.putCustomObject(projectsOf(CLUSTER), {
    metadata: { name, namespace: CLUSTER },
    spec: { clusterName: CLUSTER, displayName },
    ...(backingNamespace === undefined ? {} : { status: { backingNamespace } }),
  });
  api.addNamespace(backingNamespace ?? name);
}

/** A downstream cluster with two namespaces of project p-new01 and one of another project. */
function downstreamCluster(): FakeKubeApi {
  const api = new FakeKubeApi();
  api.addNamespace('shop', { 'field.cattle.io/projectId': 'p-new01' });
  api.addNamespace('checkout', { 'field.cattle.io/projectId': 'p-new01' });
  api.addNamespace('elsewhere', { 'field.cattle.io/projectId': 'p-other' });
  return api;
}

function sinkOn(
  management: FakeKubeApi,
  options: RancherProjectSinkOptionsInput,
  downstream?: KubeApi,
) {
  return createRancherProjectSink(options, {
    management: { context: 'rancher', namespace: 'default', api: management },
    downstream: () => downstream,
  });
}

function byTarget(results: readonly TargetResult[]): Record<string, string> {
  return Object.fromEntries(results.map((result) => [result.target, result.action]));
}

interface Warning {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps its warnings (and, in `notes`, its info lines). */
function recordingLogger(warnings: Warning[], notes: Warning[] = []): Logger {
  return Object.assign(Object.create(silentLogger) as Logger, {
    warn: (fields: Record<string, unknown>, message: string) =>
      warnings.push({ level: 'warn', fields, message }),
    info: (fields: Record<string, unknown>, message: string) =>
      notes.push({ level: 'info', fields, message }),
  });
}

describe('k8s/rancher2/project-sink', () => {
  let management: FakeKubeApi;
  beforeEach(() => {
    management = managementCluster();
  });

  it('writes one Secret in the backing namespace from status.backingNamespace, labelled for Rancher with the bare project name', async () => {
    const results = await sinkOn(management, { projects: [`${CLUSTER}:p-new01`] }).apply(
      contextFor(),
    );
    assert.deepEqual(byTarget(results), { [`rancher/${CLUSTER}:p-new01`]: 'created' });
    assert.equal(results[0]?.cluster, CLUSTER, "the project's cluster, where its namespaces pull");
    const secret = management.secrets.get(`${CLUSTER}-p-new01/${SECRET}`);
    assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
    assert.equal(secret?.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL], 'p-new01');
    assert.equal(secret?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'ecr-refresh');
    assert.equal(management.count('create'), 1);
    assert.match(
      results[0]?.reason ?? '',
      /project-scoped Secret c-m-4xk2p9qz-p-new01\/ecr-pull-credentials of "payments"/,
    );
  });

  it("falls back to the project's name as backing namespace when the Project states none, as Rancher does", async () => {
    await sinkOn(management, { cluster: CLUSTER, projects: ['p-old02'] }).apply(contextFor());
    assert.equal(
      management.secrets.get(`p-old02/${SECRET}`)?.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL],
      'p-old02',
    );
  });

  it('leaves a fresh Secret alone (no ECR call, no write) and updates one past its half-life in place, keeping what Rancher added', async () => {
    const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`] });
    await sink.apply(contextFor());
    const key = `${CLUSTER}-p-new01/${SECRET}`;
    const written = management.secrets.get(key);
    management.putSecret(`${CLUSTER}-p-new01`, {
      ...written,
      metadata: {
        ...written?.metadata,
        labels: { ...written?.metadata?.labels, 'team.example.com/owner': 'platform' },
      },
    });

    const fresh = contextFor({ now: new Date(Date.now() + 60_000) });
    assert.deepEqual(byTarget(await sink.apply(fresh)), {
      [`rancher/${CLUSTER}:p-new01`]: 'unchanged',
    });
    assert.equal(fresh.fetches, 0);
    assert.equal(management.count('replace'), 0);

    const later = contextFor({ now: new Date(Date.now() + 7 * 3600_000) });
    assert.deepEqual(byTarget(await sink.apply(later)), {
      [`rancher/${CLUSTER}:p-new01`]: 'updated',
    });
    assert.equal(management.count('replace'), 1);
    assert.equal(management.count('create'), 1);
    const labels = management.secrets.get(key)?.metadata?.labels;
    assert.equal(labels?.['team.example.com/owner'], 'platform');
    assert.equal(labels?.[PROJECT_SCOPED_SECRET_LABEL], 'p-new01');
  });

  it('rewrites a fresh Secret whose project-scoped label was removed, since Rancher no longer copies it', async () => {
    const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`] });
    await sink.apply(contextFor());
    const key = `${CLUSTER}-p-new01/${SECRET}`;
    const written = structuredClone(management.secrets.get(key));
    delete written?.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL];
    management.putSecret(`${CLUSTER}-p-new01`, written ?? {});
    const results = await sink.apply(contextFor({ now: new Date(Date.now() + 60_000) }));
    assert.equal(results[0]?.action, 'updated');
    assert.equal(
      management.secrets.get(key)?.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL],
      'p-new01',
    );
  });

  it("never writes into the project's namespaces, and warns before the first write of each same-named Secret Rancher would overwrite", async () => {
    const downstream = downstreamCluster();
    downstream.putSecret('shop', {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    downstream.putSecret('checkout', {
      metadata: { name: SECRET, annotations: { [PROJECT_SCOPED_COPY_ANNOTATION]: 'true' } },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    downstream.putSecret('elsewhere', {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    const warnings: Warning[] = [];
    const context = { ...contextFor(), logger: recordingLogger(warnings) };
    const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`] }, downstream);
    await sink.apply(context);
    assert.deepEqual(
      warnings.map((warning) => warning.fields.namespaces),
      [['shop']],
    );
    assert.match(
      warnings[0]?.message ?? '',
      /Rancher will overwrite the Secret ecr-pull-credentials in shop/,
    );
    assert.equal(
      ['create', 'replace', 'patch'].reduce((sum, verb) => sum + downstream.count(verb), 0),
      0,
    );

    // Once the project-scoped Secret exists, Rancher owns the copies: no second warning.
    await sink.apply({
      ...contextFor({ now: new Date(Date.now() + 7 * 3600_000) }),
      logger: recordingLogger(warnings),
    });
    assert.equal(warnings.length, 1);
  });

  it('says once per cluster when the namespaces cannot be checked, and writes anyway', async () => {
    const notes: Warning[] = [];
    const results = await sinkOn(management, {
      cluster: CLUSTER,
      projects: ['p-new01', 'p-old02'],
    }).apply({ ...contextFor(), logger: recordingLogger([], notes) });
    assert.deepEqual(
      results.map((result) => result.action),
      ['created', 'created'],
    );
    assert.equal(notes.length, 1, JSON.stringify(notes));
    assert.match(
      notes[0]?.message ?? '',
      /not checking the project namespaces of cluster c-m-4xk2p9qz for Secrets named ecr-pull-credentials/,
    );
  });

  it('also warns before it labels a Secret it adopts, since Rancher then starts copying it', async () => {
    const downstream = downstreamCluster();
    downstream.putSecret('shop', {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    management.putSecret(`${CLUSTER}-p-new01`, {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    const warnings: Warning[] = [];
    const results = await sinkOn(
      management,
      { projects: [`${CLUSTER}:p-new01`], adopt: true },
      downstream,
    ).apply({ ...contextFor(), logger: recordingLogger(warnings) });
    assert.equal(results[0]?.action, 'updated');
    assert.deepEqual(
      warnings.map((warning) => warning.fields.namespaces),
      [['shop']],
    );
  });

  it('serves the projects it finds when another cannot be found: that one alone fails', async () => {
    const results = await sinkOn(management, {
      cluster: CLUSTER,
      projects: ['p-gone9', 'p-new01'],
      projectNames: ['twins'],
    }).apply(contextFor());
    assert.deepEqual(byTarget(results), {
      [`rancher/${CLUSTER}:p-gone9`]: 'failed',
      [`rancher/${CLUSTER}:"twins"`]: 'failed',
      [`rancher/${CLUSTER}:p-new01`]: 'created',
    });
    assert.match(
      results[0]?.error?.message ?? '',
      /rancher2\.projects: "p-gone9": no project p-gone9/,
    );
  });

  it('fails a project whose backing namespace does not exist yet, as retryable', async () => {
    addProject(management, 'p-fresh', 'fresh', `${CLUSTER}-p-fresh`);
    management.namespaces.delete(`${CLUSTER}-p-fresh`);
    const [result] = await sinkOn(management, { projects: [`${CLUSTER}:p-fresh`] }).apply(
      contextFor(),
    );
    assert.equal(result?.action, 'failed');
    assert.match(
      result?.error?.message ?? '',
      /the backing namespace c-m-4xk2p9qz-p-fresh of project c-m-4xk2p9qz:p-fresh does not exist \(yet: Rancher creates it/,
    );
    assert.equal(result?.error?.retryable, true);
  });

  it('names rancher2, not k8s, as the sink of a project that cannot be written', async () => {
    management.putSecret(`${CLUSTER}-p-new01`, {
      metadata: { name: SECRET },
      type: 'Opaque',
      data: {},
    });
    const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`, `${CLUSTER}:p-old02`] });
    // p-new01: a Secret of another type is in the way; p-old02: the run fetched no credential for the registry.
    const results = await sink.apply({ ...contextFor(), credentials: async () => new Map() });
    const errors = results.map((result) => result.error);
    assert.ok(
      errors.every((error) => error instanceof SinkWriteError),
      String(errors),
    );
    assert.deepEqual(
      errors.map((error) => [
        error?.code,
        (error as SinkWriteError).sinkId,
        (error as SinkWriteError).target,
      ]),
      [
        ['ERR_K8S_SECRET_CONFLICT', 'rancher2', `rancher/${CLUSTER}:p-new01`],
        ['ERR_SINK_WRITE', 'rancher2', `rancher/${CLUSTER}:p-old02`],
      ],
    );
  });

  it("puts the extra labels and annotations on the project Secret, beside Rancher's label", async () => {
    const options = {
      projects: [`${CLUSTER}:p-new01`],
      secretLabels: { team: 'payments' },
      secretAnnotations: { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous' },
    };
    await sinkOn(management, options).apply(contextFor());
    const metadata = management.secrets.get(`${CLUSTER}-p-new01/${SECRET}`)?.metadata;
    assert.equal(metadata?.labels?.team, 'payments');
    assert.equal(metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL], 'p-new01');
    assert.equal(metadata?.annotations?.['argocd.argoproj.io/compare-options'], 'IgnoreExtraneous');
  });

  it('a failed project is a Warning Event on its Secret in the backing namespace, or on that namespace when there is none', async () => {
    management.putSecret(`${CLUSTER}-p-new01`, {
      metadata: { name: SECRET, uid: 'uid-p' },
      type: 'Opaque',
    });
    addProject(management, 'p-fresh', 'fresh', `${CLUSTER}-p-fresh`);
    management.namespaces.delete(`${CLUSTER}-p-fresh`);
    const results = await sinkOn(management, {
      projects: [`${CLUSTER}:p-new01`, `${CLUSTER}:p-fresh`],
    }).apply(contextFor());
    assert.deepEqual(
      results.map((result) => result.action),
      ['failed', 'failed'],
    );
    const events = [...management.events.values()].map((event) => [
      event.metadata.namespace,
      event.reason,
      event.regarding.kind,
      event.regarding.name,
      event.regarding.uid,
    ]);
    assert.deepEqual(events.sort(), [
      [`${CLUSTER}-p-new01`, 'SecretConflict', 'Secret', SECRET, 'uid-p'],
      ['default', 'RefreshFailed', 'Namespace', `${CLUSTER}-p-fresh`, undefined],
    ]);
  });

  it('asks the management cluster once in a one-shot run (validate, then apply)', async () => {
    const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`] });
    assert.deepEqual(await sink.validate(), []);
    await sink.apply(contextFor());
    assert.equal(management.requests.filter((request) => request.includes('settings')).length, 1);
    await sink.apply(contextFor());
    assert.equal(
      management.requests.filter((request) => request.includes('settings')).length,
      2,
      'a later run asks again',
    );
  });

  it('leaves out of "every project" one that is being deleted (its backing namespace goes with it)', async () => {
    management.putCustomObject(projectsOf(CLUSTER), {
      metadata: { name: 'p-gone1', deletionTimestamp: '2026-11-27T00:00:00Z' },
      spec: { displayName: 'leaving' },
      status: { backingNamespace: `${CLUSTER}-p-gone1` },
    });
    const results = await sinkOn(management, { cluster: CLUSTER, allProjects: true }).apply(
      contextFor(),
    );
    assert.ok(
      !results.some((result) => result.target.endsWith(':p-gone1')),
      JSON.stringify(results.map((result) => result.target)),
    );
    assert.equal(results.length, 4);
  });

  it("names rancher2's own options in kubeconfig errors", () => {
    assert.throws(
      () =>
        createRancherProjectSink(
          { projects: [`${CLUSTER}:p-new01`] },
          { env: { HOME: '/nonexistent' } },
        ),
      /^ConfigError: rancher2\.kubeconfig: no Kubernetes configuration found/,
    );
  });

  it('serves every project of a cluster, or projects by display name', async () => {
    const all = await sinkOn(management, { cluster: CLUSTER, allProjects: true }).apply(
      contextFor(),
    );
    assert.deepEqual(
      Object.keys(byTarget(all)).sort(),
      ['p-new01', 'p-old02', 'p-twin1', 'p-twin2'].map((name) => `rancher/${CLUSTER}:${name}`),
    );
    const named = await sinkOn(management, {
      cluster: CLUSTER,
      projectNames: ['legacy', 'payments'],
      projects: ['p-new01'],
    }).apply(contextFor());
    assert.deepEqual(Object.keys(byTarget(named)).sort(), [
      `rancher/${CLUSTER}:p-new01`,
      `rancher/${CLUSTER}:p-old02`,
    ]);
  });

  describe('refuses before any write', () => {
    async function problemsOf(options: RancherProjectSinkOptionsInput, api = management) {
      const sink = sinkOn(api, options);
      const problems = await sink.validate();
      return problems.map((problem) => `${problem.path}: ${problem.message}`);
    }

    it('a project id or display name that matches no project, or several', async () => {
      const problems = await problemsOf({
        cluster: CLUSTER,
        projects: ['p-nope1'],
        projectNames: ['twins', 'Payments'],
      });
      assert.equal(problems.length, 3, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /rancher2\.projects: "p-nope1": no project p-nope1 in cluster c-m-4xk2p9qz/,
      );
      assert.match(
        problems[1] ?? '',
        /"twins": 2 projects of cluster c-m-4xk2p9qz have that name \(p-twin1, p-twin2\)/,
      );
      assert.match(
        problems[2] ?? '',
        /"Payments": no project of cluster c-m-4xk2p9qz has that display name \(known: .*"payments"/,
      );
      assert.equal(management.count('create') + management.count('replace'), 0);
    });

    it('a Rancher older than 2.12, naming what to use instead; apply fails the run without writing', async () => {
      const old = managementCluster('v2.11.4');
      const [problem, ...rest] = await problemsOf({ projects: [`${CLUSTER}:p-new01`] }, old);
      assert.deepEqual(rest, []);
      assert.match(
        problem ?? '',
        /Rancher "v2\.11\.4" at context rancher has no project-scoped Secrets \(they came in v2\.12\.0\)/,
      );
      assert.match(
        problem ?? '',
        /ecr-refresh k8s .*--selector field\.cattle\.io\/projectId=<p-xxxxx>/,
      );
      const results = await sinkOn(old, { projects: [`${CLUSTER}:p-new01`] }).apply(contextFor());
      assert.equal(results[0]?.action, 'failed');
      assert.ok(results[0]?.error instanceof ConfigError);
      assert.equal(old.count('create') + old.count('replace'), 0);
    });

    it('a cluster without Rancher', async () => {
      const [problem] = await problemsOf(
        { projects: [`${CLUSTER}:p-new01`] },
        managementCluster(null),
      );
      assert.match(problem ?? '', /context rancher is not Rancher's management cluster/);
    });

    it('but a development build of Rancher is taken, with a warning', async () => {
      const dev = managementCluster('dev');
      assert.deepEqual(await problemsOf({ projects: [`${CLUSTER}:p-new01`] }, dev), []);
      const warnings: Warning[] = [];
      const results = await sinkOn(
        dev,
        { projects: [`${CLUSTER}:p-new01`] },
        downstreamCluster(),
      ).apply({ ...contextFor(), logger: recordingLogger(warnings) });
      assert.equal(results[0]?.action, 'created');
      assert.match(warnings[0]?.message ?? '', /states no release version/);
    });

    it('a request that fails is no problem of the input: apply reports it', async () => {
      const sink = sinkOn(management, { projects: [`${CLUSTER}:p-new01`] });
      management.failNext = { verb: 'get', status: 503, reason: 'ServiceUnavailable' };
      assert.deepEqual(await sink.validate(), []);
      management.failNext = { verb: 'get', status: 503, reason: 'ServiceUnavailable' };
      const [result, ...rest] = await sink.apply(contextFor());
      assert.deepEqual(rest, []);
      assert.equal(result?.action, 'failed');
      assert.equal(result?.error?.retryable, true);
      assert.equal(management.count('create'), 0);
    });
  });

  describe('options', () => {
    const problemsOf = (input: RancherProjectSinkOptionsInput) => {
      try {
        sinkOn(management, input);
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return [...error.problems];
      }
    };

    it('take ids with or without their cluster, display names and all projects', () => {
      assert.deepEqual(problemsOf({ projects: ['local:p-abcde', 'c-m-4xk2p9qz:p-7tq2x'] }), []);
      assert.deepEqual(
        problemsOf({
          cluster: 'local',
          projects: ['p-abcde'],
          projectNames: ['Default, with a comma'],
          allProjects: true,
        }),
        [],
      );
    });

    it('refuse malformed ids, a bare id or a name without a cluster, and an id of another cluster', () => {
      assert.deepEqual(problemsOf({ projects: ['C-X:p-1', 'c-x:p-1:extra', 'p-1'] }), [
        'rancher2.projects.0: "C-X:p-1" not a Rancher project id (p-xxxxx with --cluster, or c-xxxxx:p-xxxxx as Rancher shows it)',
        'rancher2.projects.1: "c-x:p-1:extra" not a Rancher project id (p-xxxxx with --cluster, or c-xxxxx:p-xxxxx as Rancher shows it)',
        'rancher2.projects.2: "p-1" a bare project id needs its cluster: give c-xxxxx:p-xxxxx, or name the cluster',
      ]);
      assert.deepEqual(problemsOf({ projectNames: ['payments'] }), [
        'rancher2.cluster: project names and "all projects" are looked up within one cluster: name it (c-xxxxx, or local)',
      ]);
      assert.deepEqual(problemsOf({ cluster: 'c-a', projects: ['c-b:p-1'] }), [
        'rancher2.projects.0: "c-b:p-1" belongs to cluster c-b, not to the cluster named (c-a)',
      ]);
      assert.deepEqual(problemsOf({}), [
        'rancher2.projects: name at least one project: an id (c-xxxxx:p-xxxxx), a display name with its cluster, or every project of a cluster',
      ]);
    });
  });
});
