import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeApiServer, Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  readSecret,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const COMPARE_OPTIONS = 'argocd.argoproj.io/compare-options';

describe('e2e: extra labels and annotations on the managed Secret, against kube-apiserver', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let dir: string;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-secret-metadata-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const k8s = (namespace: string, ...extra: string[]): Promise<CliRun> =>
    runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        namespace,
        '--output',
        'json',
        '--log-level',
        'warn',
        ...extra,
      ],
      DUMMY_AWS_ENV,
    );

  it('sets them on create, leaves a fresh Secret alone, removes a dropped one and keeps what others added', async () => {
    const namespace = uniqueName('meta');
    await createNamespaces(kube, [namespace]);
    const flags = [
      '--secret-label',
      'team=payments,tier=web',
      '--secret-annotation',
      `${COMPARE_OPTIONS}=IgnoreExtraneous`,
    ];
    const created = await k8s(namespace, ...flags);
    assert.equal(created.status, 0, created.stderr);
    const secret = await readSecret(kube, namespace);
    assert.equal(secret.metadata.labels.team, 'payments');
    assert.equal(secret.metadata.labels.tier, 'web');
    assert.equal(secret.metadata.labels['app.kubernetes.io/managed-by'], 'ecr-refresh');
    assert.equal(secret.metadata.annotations[COMPARE_OPTIONS], 'IgnoreExtraneous');
    assert.ok(dockerConfigOf(secret).auths[HOST]);

    const same = await k8s(namespace, ...flags);
    assert.deepEqual(targetsByAction(same.stdout), {
      unchanged: [`ecr-refresh-test/${namespace}`],
    });
    assert.equal(
      (await readSecret(kube, namespace)).metadata.resourceVersion,
      secret.metadata.resourceVersion,
    );

    // Someone else labels and annotates it; then `tier` is dropped from the flags.
    const theirs = {
      ...secret,
      metadata: {
        ...secret.metadata,
        labels: { ...secret.metadata.labels, owner: 'platform' },
        annotations: {
          ...secret.metadata.annotations,
          'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true',
        },
      },
    };
    assert.equal(
      (await kube.request('PUT', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`, theirs))
        .status,
      200,
    );
    const dropped = await k8s(
      namespace,
      '--secret-label',
      'team=payments',
      '--secret-annotation',
      `${COMPARE_OPTIONS}=IgnoreExtraneous`,
    );
    assert.deepEqual(
      targetsByAction(dropped.stdout),
      { updated: [`ecr-refresh-test/${namespace}`] },
      dropped.stderr,
    );
    const after = await readSecret(kube, namespace);
    assert.equal(after.metadata.uid, secret.metadata.uid);
    assert.equal(after.metadata.labels.tier, undefined);
    assert.deepEqual(
      [after.metadata.labels.team, after.metadata.labels.owner],
      ['payments', 'platform'],
    );
    assert.equal(
      after.metadata.annotations['reflector.v1.k8s.emberstack.com/reflection-allowed'],
      'true',
    );
    assert.equal(after.metadata.annotations[COMPARE_OPTIONS], 'IgnoreExtraneous');
  });

  it('takes the maps of the config file, as the chart values name them', async () => {
    const namespace = uniqueName('meta-file');
    await createNamespaces(kube, [namespace]);
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      `secretLabels:\n  team: payments\nsecretAnnotations:\n  ${COMPARE_OPTIONS}: IgnoreExtraneous\n  argocd.argoproj.io/sync-options: Prune=false,Delete=false\n`,
    );
    const run = await k8s(namespace, '--config', config);
    assert.equal(run.status, 0, run.stderr);
    const { labels, annotations } = (await readSecret(kube, namespace)).metadata;
    assert.equal(labels.team, 'payments');
    assert.equal(annotations['argocd.argoproj.io/sync-options'], 'Prune=false,Delete=false');
  });

  it('takes several from one ECR_REFRESH_* variable each, as a ConfigMap or the chart sets them', async () => {
    const namespace = uniqueName('meta-env');
    await createNamespaces(kube, [namespace]);
    const env = {
      ...DUMMY_AWS_ENV,
      ECR_REFRESH_SECRET_LABEL: 'team=payments,tier=web',
      ECR_REFRESH_SECRET_ANNOTATION: `${COMPARE_OPTIONS}=IgnoreExtraneous\nargocd.argoproj.io/sync-options=Prune=false,Delete=false`,
    };
    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        namespace,
      ],
      env,
    );
    assert.equal(run.status, 0, run.stderr);
    const { labels, annotations } = (await readSecret(kube, namespace)).metadata;
    assert.deepEqual([labels.team, labels.tier], ['payments', 'web']);
    assert.deepEqual(
      [annotations[COMPARE_OPTIONS], annotations['argocd.argoproj.io/sync-options']],
      ['IgnoreExtraneous', 'Prune=false,Delete=false'],
    );
  });

  it('refuses to override our own label with exit 64, before anything is written', async () => {
    const namespace = uniqueName('meta-ours');
    await createNamespaces(kube, [namespace]);
    const run = await k8s(namespace, '--secret-label', 'app.kubernetes.io/managed-by=argocd');
    assert.equal(run.status, 64, run.stderr);
    assert.match(
      run.stderr,
      /k8s\.secretLabels: "app\.kubernetes\.io\/managed-by" is set by ecr-refresh itself/,
    );
    assert.equal(await readSecret(kube, namespace), undefined);
  });
});
