import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeApiServer, Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import { DEPLOY_DIR, FAILURE_ONLY_GRANTS, HOST, SECRET, createNamespaces, intoFreshNamespace, dockerConfigOf, kubectl, kustomize, pullSecretsOf, readSecret, uniqueName, useKubeAndMoto } from './k8s-helpers.ts';

const CHART = join(DEPLOY_DIR, 'helm', 'ecr-refresh');
const HELM_BUILD = join(import.meta.dirname, '..', 'peers', 'helm', 'build.sh');

/** Builds helm from its Go module on first use (cached outside the clone); its path. */
function helmBinary(): string {
  return execFileSync(HELM_BUILD, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 }).trim();
}

describe('e2e: deploy manifests and Helm chart on a real API server', function () {
  this.timeout(900_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let helm: string;
  let workdir: string;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    helm = helmBinary();
    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-deploy-'));
  });
  after(async () => rm(workdir, { recursive: true, force: true }));

  const dryRun = (objects: readonly any[]) => kubectl(kube, ['apply', '--dry-run=server', '-f', '-'], objects.map((object) => `---\n${stringify(object)}`).join(''));
  const template = async (release: string, namespace: string, values: Record<string, unknown>): Promise<any[]> => {
    const valuesFile = join(workdir, `${release}.values.yaml`);
    await writeFile(valuesFile, stringify(values));
    const rendered = execFileSync(helm, ['template', release, CHART, '--namespace', namespace, '--values', valuesFile], { encoding: 'utf8' });
    return parseAllDocuments(rendered).map((document) => document.toJS()).filter((object) => object !== null);
  };

  describe('kustomize', () => {
    const installs: Array<[string, string, string[]]> = [
      ['cluster-wide', 'cluster-wide', []],
      ['cluster-wide in service mode, every ServiceAccount', 'cluster-wide', ['service-mode', 'all-service-accounts']],
      ['single-namespace', 'single-namespace', []],
      ['single-namespace in service mode', 'single-namespace', ['service-mode']],
    ];
    for (const [name, directory, components] of installs) {
      it(`${name} passes kubectl apply --dry-run=server`, async () => {
        const overlay = await mkdtemp(join(workdir, 'overlay-'));
        await writeFile(join(overlay, 'kustomization.yaml'), stringify({
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', directory))],
          components: components.map((component) => relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'components', component))),
        }));
        const objects = kustomize(kube, overlay);
        await intoFreshNamespace(kube, objects);
        const kinds = objects.map((object) => object.kind).sort();
        assert.ok(kinds.includes(components.includes('service-mode') ? 'Deployment' : 'CronJob'), kinds.join(','));
        assert.equal(kinds.includes('CronJob') && kinds.includes('Deployment'), false);
        const output = dryRun(objects);
        assert.match(output, /\(server dry run\)/);
      });
    }

    it('ships a CronJob that cannot overlap, keeps bounded history and runs unprivileged', async () => {
      const cronJob = kustomize(kube, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide')).find((object) => object.kind === 'CronJob');
      assert.equal(cronJob.apiVersion, 'batch/v1');
      assert.equal(cronJob.spec.concurrencyPolicy, 'Forbid');
      assert.ok(cronJob.spec.successfulJobsHistoryLimit <= 3 && cronJob.spec.failedJobsHistoryLimit <= 3);
      const pod = cronJob.spec.jobTemplate.spec.template.spec;
      const container = pod.containers[0];
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.equal(container.securityContext.privileged, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
      assert.equal(pod.hostNetwork, undefined);
    });
  });

  describe('helm chart', () => {
    it('is clean under helm lint --strict', () => {
      const output = execFileSync(helm, ['lint', '--strict', CHART], { encoding: 'utf8' });
      assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(output, /\[(WARNING|ERROR)\]/);
    });

    it('rejects values outside its schema', () => {
      assert.throws(() => execFileSync(helm, ['template', 't', CHART, '--set', 'scope=everywhere'], { encoding: 'utf8', stdio: 'pipe' }), /scope/);
    });

    const valueSets: Array<[string, Record<string, unknown>]> = [
      ['the defaults', {}],
      ['service mode with a selector and every ServiceAccount', { mode: 'deployment', namespaces: [], namespaceSelector: 'team=apps', serviceAccounts: ['*'] }],
      ['a single namespace with the blog naming', { scope: 'namespace', secretName: 'ecr-{namespace}', aws: { irsaRoleArn: 'arn:aws:iam::123456789012:role/ecr-refresh' } }],
    ];
    for (const [name, values] of valueSets) {
      it(`renders ${name} into manifests that pass kubectl apply --dry-run=server`, async () => {
        const namespace = uniqueName('helm-dry');
        await kube.createNamespace(namespace);
        const objects = await template(uniqueName('rel'), namespace, values);
        assert.match(dryRun(objects), /\(server dry run\)/);
      });
    }

    /**
     * Installs the chart's ServiceAccount and RBAC for real, then runs the CLI as the chart's
     * container would (its env, the ServiceAccount's token) and checks the audit log: no 403,
     * and every granted verb used.
     */
    async function runAsChart(values: Record<string, unknown>, namespace: string, runs: string[][]): Promise<void> {
      const release = uniqueName('rel');
      const objects = await template(release, namespace, values);
      kubectl(kube, ['apply', '-f', '-'], objects.filter((object) => /Role|Binding|ServiceAccount/.test(object.kind)).map((object) => `---\n${stringify(object)}`).join(''));
      const workload = objects.find((object) => object.kind === 'CronJob' || object.kind === 'Deployment');
      const pod = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
      const env = Object.fromEntries(pod.containers[0].env.map((variable: { name: string; value: string }) => [variable.name, variable.value]));
      const token = await kube.createServiceAccountToken(namespace, pod.serviceAccountName, { expirationSeconds: 900 });
      const kubeconfig = await kube.kubeconfigForToken(token, namespace);
      for (const extra of runs) {
        const run = await runCli([...pod.containers[0].args.filter((arg: string) => arg === 'k8s'), '--kubeconfig', kubeconfig, '--endpoint-url', moto.endpoint, '--output', 'json', ...extra], { ...env, ...DUMMY_AWS_ENV, ECR_REFRESH_REGISTRY: HOST, ECR_REFRESH_LOG_LEVEL: 'warn' });
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.ok(JSON.parse(run.stdout).results.length > 0, run.stdout);
      }
      const user = `system:serviceaccount:${namespace}:${pod.serviceAccountName}`;
      const events = (await kube.auditEvents(user)).filter((event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined);
      assert.deepEqual(events.filter((event) => event.responseStatus?.code === 403).map((event) => `${event.verb} ${event.requestURI}`), []);
      const used = [...new Set(events.map((event) => `${event.objectRef?.resource} ${event.verb}`))].sort();
      const rules = objects.filter((object) => /^(Cluster)?Role$/.test(object.kind)).flatMap((object) => object.rules);
      const granted = [...new Set(rules.flatMap((rule: { resources: string[]; verbs: string[] }) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${resource} ${verb}`))))].sort();
      // No target fails here: the Event grants stay unused (k8s-rbac.spec.ts uses them).
      assert.deepEqual(used, granted.filter((grant) => !FAILURE_ONLY_GRANTS.includes(grant)));
    }

    it('cluster scope, globs, every ServiceAccount: the rendered settings and RBAC work together, no 403, no unused grant', async () => {
      const home = uniqueName('helm-home');
      const prefix = uniqueName('helm-cw');
      await createNamespaces(kube, [home, `${prefix}-a`, `${prefix}-b`]);
      await runAsChart({ namespaces: [`${prefix}-*`], serviceAccounts: ['*'], secretName: 'ecr-{namespace}' }, home, [[], ['--force']]);
      const secret = await readSecret(kube, `${prefix}-a`, `ecr-${prefix}-a`);
      assert.ok(dockerConfigOf(secret).auths[HOST]);
      assert.deepEqual(await pullSecretsOf(kube, `${prefix}-b`), [`ecr-${prefix}-b`]);
    });

    it('cluster scope, globs, the default Secret name and ServiceAccount: lists by name and reads by name, no 403, no unused grant', async () => {
      const home = uniqueName('helm-home');
      const prefix = uniqueName('helm-lists');
      await createNamespaces(kube, [home, `${prefix}-a`, `${prefix}-b`], { pullSecrets: ['theirs'] });
      // Globs read what is in place with lists by name; a plain name (the flag over the chart's setting) reads it by name.
      await runAsChart({ namespaces: [`${prefix}-*`] }, home, [[], ['--force'], ['-n', `${prefix}-a`, '--force']]);
      for (const namespace of [`${prefix}-a`, `${prefix}-b`]) assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
    });

    it('namespace scope with the blog naming: only its own namespace, no 403, no unused grant', async () => {
      const namespace = uniqueName('helm-ns');
      await createNamespaces(kube, [namespace], { pullSecrets: ['theirs'] });
      await runAsChart({ scope: 'namespace', secretName: 'ecr-{namespace}' }, namespace, [[], ['--force']]);
      assert.ok(await readSecret(kube, namespace, `ecr-${namespace}`));
      assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', `ecr-${namespace}`]);
    });
  });

  // Each grant as one (groups, resource, names, verb): the same permissions, however they are grouped into rules.
  const normalise = (rules: any[]) =>
    [...new Set(rules.flatMap((rule) => rule.resources.flatMap((resource: string) => rule.verbs.map((verb: string) => JSON.stringify([rule.apiGroups, resource, rule.resourceNames ?? null, verb])))))].sort();

  it('the chart and the kustomize install grant the same rules for the same choice', async () => {
    const chartRules = (await template('same', 'default', {})).find((object) => object.kind === 'ClusterRole').rules;
    const kustomizeRules = kustomize(kube, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide')).find((object) => object.kind === 'ClusterRole').rules;
    assert.deepEqual(normalise(chartRules), normalise(kustomizeRules));
  });

  it('in service mode too: the chart as a Deployment grants what the service-mode component does (watch included)', async () => {
    const chartRules = (await template('same-svc', 'default', { mode: 'deployment' })).find((object) => object.kind === 'ClusterRole').rules;
    const overlay = await mkdtemp(join(workdir, 'overlay-'));
    await writeFile(join(overlay, 'kustomization.yaml'), stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide'))],
      components: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'components', 'service-mode'))],
    }));
    const kustomizeRules = kustomize(kube, overlay).find((object) => object.kind === 'ClusterRole').rules;
    assert.deepEqual(normalise(chartRules), normalise(kustomizeRules));
    assert.ok(normalise(chartRules).some((grant) => grant.includes('"watch"')), 'the service watches');
  });
});
