import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeApiServer } from '../peers/index.ts';
import { DEPLOY_DIR, helmBinary, helmTemplate, kubectl, useKubeAndMoto } from './k8s-helpers.ts';

const FLEET_DIR = join(DEPLOY_DIR, 'fleet');
const CHART = join(DEPLOY_DIR, 'helm', 'ecr-refresh');

/** What of Fleet's fleet.yaml (BundleSpec) the bundle uses. */
interface FleetYaml {
  defaultNamespace: string;
  helm: { releaseName: string; chart: string; values: Record<string, unknown> };
  targetCustomizations: Array<{
    name: string;
    clusterSelector: { matchLabels: Record<string, string> };
    helm: { values: Record<string, unknown> };
  }>;
}

const fleetYaml = parse(readFileSync(join(FLEET_DIR, 'fleet.yaml'), 'utf8')) as FleetYaml;
const gitRepo = parse(readFileSync(join(FLEET_DIR, 'gitrepo.yaml'), 'utf8'));

// The per-cluster alternative to --rancher-clusters: deploy/fleet as Fleet would deploy it, each
// cluster's values (the bundle's, then its targetCustomization's) rendered by the real helm and
// checked by the real API server (dry run).
describe('e2e: the Fleet bundle (deploy/fleet) renders the chart for each kind of cluster', function () {
  this.timeout(900_000);
  let kube: KubeApiServer;
  let helm: string;
  let workdir: string;

  before(async () => {
    ({ kube } = await useKubeAndMoto());
    helm = helmBinary();
    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-fleet-bundle-'));
  });
  after(async () => rm(workdir, { recursive: true, force: true }));

  /** The chart rendered as Fleet renders it for a cluster: the bundle's values, then the customization's (helm merges maps, replaces lists). */
  async function renderFor(customization?: FleetYaml['targetCustomizations'][number]) {
    const files = [{ name: 'bundle', values: fleetYaml.helm.values }];
    if (customization !== undefined)
      files.push({ name: customization.name, values: customization.helm.values });
    const args: string[] = [];
    for (const file of files) {
      const path = join(workdir, `${file.name}.values.yaml`);
      await writeFile(path, stringify(file.values));
      args.push('--values', path);
    }
    return helmTemplate(helm, [
      fleetYaml.helm.releaseName,
      resolve(FLEET_DIR, fleetYaml.helm.chart),
      '--namespace',
      fleetYaml.defaultNamespace,
      ...args,
    ]);
  }

  /** The registries of the rendered config file. */
  const registriesOf = (objects: any[]): string[] =>
    parse(objects.find((object) => object.kind === 'ConfigMap').data['config.yaml']).registries;
  /** The CronJob's container. */
  const containerOf = (objects: any[]) =>
    objects.find((object) => object.kind === 'CronJob').spec.jobTemplate.spec.template.spec
      .containers[0];
  /** The container's environment, by name. */
  const envOf = (objects: any[]): Record<string, string> =>
    Object.fromEntries(containerOf(objects).env.map((entry: any) => [entry.name, entry.value]));
  /** The Secrets the container reads its environment from. */
  const secretsOf = (objects: any[]): string[] =>
    (containerOf(objects).envFrom ?? []).map((source: any) => source.secretRef.name);

  it("names the repository's chart, and the GitRepo deploys the bundle only to clusters labelled ecr-refresh=enabled", () => {
    const chartDir = resolve(FLEET_DIR, fleetYaml.helm.chart);
    assert.equal(chartDir, CHART);
    assert.equal(parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')).name, 'ecr-refresh');
    assert.equal(gitRepo.kind, 'GitRepo');
    assert.deepEqual(gitRepo.spec.paths, [dirname(join('deploy', 'fleet', 'fleet.yaml'))]);
    assert.deepEqual(gitRepo.spec.targets, [
      { name: 'labelled', clusterSelector: { matchLabels: { 'ecr-refresh': 'enabled' } } },
    ]);
    assert.deepEqual(
      fleetYaml.targetCustomizations.map((customization) => customization.name),
      ['us-east-1', 'eks'],
    );
  });

  it('renders the default cluster: every namespace but the system ones, keys from the aws Secret; the API server accepts it', async () => {
    const objects = await renderFor();
    assert.deepEqual(registriesOf(objects), ['123456789012.dkr.ecr.eu-west-1.amazonaws.com']);
    assert.equal(envOf(objects).ECR_REFRESH_NAMESPACE, '*');
    assert.equal(envOf(objects).ECR_REFRESH_EXCLUDE_NAMESPACE, 'kube-*,cattle-*,fleet-*');
    assert.deepEqual(secretsOf(objects), ['aws', 'proxy']);
    const namespace = `fleet-bundle-${Date.now()}`;
    await kube.createNamespace(namespace);
    const inNamespace = objects.map((object) =>
      object.metadata.namespace === undefined
        ? object
        : { ...object, metadata: { ...object.metadata, namespace } },
    );
    kubectl(
      kube,
      ['apply', '--dry-run=server', '-f', '-'],
      inNamespace.map((object) => `---\n${stringify(object)}`).join(''),
    );
  });

  it('renders a us-east-1 cluster with its own registry, the rest as the bundle', async () => {
    const objects = await renderFor(fleetYaml.targetCustomizations[0]);
    assert.deepEqual(registriesOf(objects), ['123456789012.dkr.ecr.us-east-1.amazonaws.com']);
    assert.equal(envOf(objects).ECR_REFRESH_EXCLUDE_NAMESPACE, 'kube-*,cattle-*,fleet-*');
    assert.deepEqual(secretsOf(objects), ['aws', 'proxy']);
  });

  it('renders an EKS cluster with IRSA on the ServiceAccount and no aws Secret', async () => {
    const objects = await renderFor(fleetYaml.targetCustomizations[1]);
    const account = objects.find((object) => object.kind === 'ServiceAccount');
    assert.equal(
      account.metadata.annotations['eks.amazonaws.com/role-arn'],
      'arn:aws:iam::123456789012:role/ecr-refresh',
    );
    assert.deepEqual(secretsOf(objects), ['proxy']);
    assert.deepEqual(registriesOf(objects), ['123456789012.dkr.ecr.eu-west-1.amazonaws.com']);
  });
});
