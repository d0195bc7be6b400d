import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeApiServer, Moto } from '../peers/index.ts';
import { DEAD_ENDPOINT, DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  pullSecretsOf,
  readSecret,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const CONTEXT = 'ecr-refresh-test';

describe('e2e: ecr-refresh k8s against kube-apiserver and moto', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  const k8s = (...extra: string[]): Promise<CliRun> =>
    runCli(
      [
        'k8s',
        '--registry',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '--log-level',
        'warn',
        ...extra,
      ],
      DUMMY_AWS_ENV,
    );

  it('creates the Secret in every namespace a glob selects, then replaces it in place when forced', async () => {
    const prefix = uniqueName('many');
    const namespaces = Array.from({ length: 12 }, (_, index) => `${prefix}-${index}`);
    await createNamespaces(kube, namespaces);
    const first = await k8s('--namespace', `${prefix}-*`, '--output', 'json');
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(targetsByAction(first.stdout), {
      created: namespaces.map((namespace) => `${CONTEXT}/${namespace}`).sort(),
    });
    const before = new Map<string, any>();
    for (const namespace of namespaces) {
      const secret = await readSecret(kube, namespace);
      assert.equal(
        Buffer.from(dockerConfigOf(secret).auths[HOST]?.auth ?? '', 'base64').toString(),
        `AWS:${MOTO_PASSWORD}`,
      );
      assert.equal(secret.metadata.labels['app.kubernetes.io/managed-by'], 'ecr-refresh');
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      before.set(namespace, secret.metadata);
    }
    const forced = await k8s('--namespace', `${prefix}-*`, '--force', '--output', 'json');
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(targetsByAction(forced.stdout).updated?.length, 12);
    for (const namespace of namespaces) {
      const after = (await readSecret(kube, namespace)).metadata;
      // Same object (never deleted and re-created), new content.
      assert.equal(after.uid, before.get(namespace).uid);
      assert.notEqual(after.resourceVersion, before.get(namespace).resourceVersion);
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
    }
  });

  it('leaves fresh Secrets unchanged, with no ECR call and no write', async () => {
    const namespace = uniqueName('fresh');
    await createNamespaces(kube, [namespace]);
    assert.equal((await k8s('-n', namespace)).status, 0);
    const before = (await readSecret(kube, namespace)).metadata.resourceVersion;
    // Nothing listens on this endpoint: an ECR call would fail the run.
    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        DEAD_ENDPOINT,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        namespace,
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).ecrCalls, 0);
    assert.deepEqual(targetsByAction(run.stdout), { unchanged: [`${CONTEXT}/${namespace}`] });
    assert.equal((await readSecret(kube, namespace)).metadata.resourceVersion, before);
  });

  it('keeps the pull secrets a ServiceAccount already has', async () => {
    const namespace = uniqueName('keep');
    await createNamespaces(kube, [namespace], { pullSecrets: ['registry-one', 'registry-two'] });
    const run = await k8s('-n', namespace);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(await pullSecretsOf(kube, namespace), [
      'registry-one',
      'registry-two',
      SECRET,
    ]);
  });

  it('references the Secret from every ServiceAccount with --service-account "*", and from none with "none"', async () => {
    const [all, none] = [uniqueName('all-sa'), uniqueName('no-sa')];
    await createNamespaces(kube, [all, none]);
    await kube.request('POST', `/api/v1/namespaces/${all}/serviceaccounts`, {
      metadata: { name: 'builder' },
      imagePullSecrets: [{ name: 'theirs' }],
    });
    assert.equal((await k8s('-n', all, '--service-account', '*')).status, 0);
    assert.deepEqual(await pullSecretsOf(kube, all, 'builder'), ['theirs', SECRET]);
    assert.deepEqual(await pullSecretsOf(kube, all, 'default'), [SECRET]);
    assert.equal((await k8s('-n', none, '--service-account', 'none')).status, 0);
    assert.deepEqual(await pullSecretsOf(kube, none), []);
    assert.ok(await readSecret(kube, none));
  });

  it('leaves a foreign Secret of the same name untouched, exits 1 naming it, and adopts it only when asked', async () => {
    const namespace = uniqueName('foreign');
    await createNamespaces(kube, [namespace]);
    const theirs = {
      auths: { 'ghcr.io': { auth: Buffer.from('me:their-token').toString('base64') } },
    };
    const created = await kube.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify(theirs)).toString('base64') },
    });
    assert.equal(created.status, 201);
    const run = await k8s('-n', namespace);
    assert.equal(run.status, 1, run.stdout);
    assert.match(
      run.stdout,
      new RegExp(
        `ERR_K8S_SECRET_CONFLICT: Secret ${namespace}/${SECRET} exists but was not created by ecr-refresh`,
      ),
    );
    const untouched = await readSecret(kube, namespace);
    assert.equal(untouched.metadata.resourceVersion, created.body.metadata.resourceVersion);
    assert.deepEqual(await pullSecretsOf(kube, namespace), []);

    const adopted = await k8s('-n', namespace, '--adopt');
    assert.equal(adopted.status, 0, adopted.stdout);
    assert.deepEqual(
      Object.keys(dockerConfigOf(await readSecret(kube, namespace)).auths).sort(),
      ['ghcr.io', HOST].sort(),
    );
  });

  it('picks exactly the namespaces a label selector, globs and exclusions name', async () => {
    const run = uniqueName('pick');
    const names = {
      a: `${run}-app-a`,
      b: `${run}-app-b`,
      test: `${run}-app-test`,
      tool: `${run}-tool`,
      other: `${run}-other`,
    };
    await createNamespaces(kube, [names.a, names.b, names.test], {
      labels: { [`${run}/tier`]: 'app' },
    });
    await createNamespaces(kube, [names.tool], { labels: { [`${run}/tier`]: 'tool' } });
    await createNamespaces(kube, [names.other]);
    const picked = async (...args: string[]) => {
      const result = await k8s(...args, '--dry-run', '--output', 'json');
      assert.equal(result.status, 0, result.stderr);
      return Object.values(targetsByAction(result.stdout))
        .flat()
        .map((target) => target.slice(CONTEXT.length + 1))
        .sort();
    };
    assert.deepEqual(await picked('-l', `${run}/tier=app`), [names.a, names.b, names.test]);
    assert.deepEqual(
      await picked('-l', `${run}/tier in (app,tool)`, '--exclude-namespace', '*-test'),
      [names.a, names.b, names.tool],
    );
    assert.deepEqual(await picked('-n', `${run}-app-?`), [names.a, names.b]);
    assert.deepEqual(
      await picked('-n', `${run}-*`, '--exclude-namespace', `${run}-app-*,${run}-tool`),
      [names.other],
    );
    assert.deepEqual(await picked('-n', `${names.tool},${names.other}`), [names.other, names.tool]);
    // A dry run wrote nothing.
    assert.equal(await readSecret(kube, names.a), undefined);
  });

  it('serves every context of the kubeconfig, each reported separately', async () => {
    const [one, two] = [uniqueName('ctx-one'), uniqueName('ctx-two')];
    await createNamespaces(kube, [one, two]);
    const config = JSON.parse(await readFile(kube.kubeconfigPath, 'utf8'));
    const base = config.contexts[0].context;
    config.contexts = [
      { name: 'first', context: { ...base, namespace: one } },
      { name: 'second', context: { ...base, namespace: two } },
    ];
    config['current-context'] = 'first';
    const path = join(kube.dir, `${uniqueName('contexts')}.kubeconfig`);
    await writeFile(path, JSON.stringify(config), { mode: 0o600 });
    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        path,
        '--all-contexts',
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(targetsByAction(run.stdout), { created: [`first/${one}`, `second/${two}`] });
    assert.equal(JSON.parse(run.stdout).ecrCalls, 1);
  });

  describe('bad input exits 64 before any write, naming the input', () => {
    let namespace: string;
    before(async () => {
      namespace = uniqueName('bad-input');
      await createNamespaces(kube, [namespace]);
    });
    const cases: Array<[string, () => string[], RegExp]> = [
      [
        'an invalid namespace',
        () => ['-n', `Bad_${namespace}`],
        /namespaces\.0: "Bad_bad-input-\w+" not a valid namespace/,
      ],
      [
        'an invalid Secret name',
        () => ['-n', namespace, '--secret-name', 'ecr pull'],
        /secretName: "ecr pull" not a valid Secret name/,
      ],
      [
        'an unknown context',
        () => ['-n', namespace, '--context', 'no-such-context'],
        /no context "no-such-context" in kubeconfig .* \(known: ecr-refresh-test\)/,
      ],
      [
        'an unreadable kubeconfig',
        () => ['-n', namespace, '--kubeconfig', '/nonexistent/kubeconfig'],
        /cannot read "\/nonexistent\/kubeconfig": ENOENT/,
      ],
      [
        'an invalid label selector',
        () => ['-l', 'team in app'],
        /namespaceSelector: "team in app" not a valid label selector/,
      ],
      [
        'a concurrency of 0',
        () => ['-n', namespace, '--concurrency', '0'],
        /concurrency: expected at least 1/,
      ],
    ];
    for (const [name, args, expected] of cases) {
      it(name, async () => {
        const run = await runCli(
          [
            'k8s',
            '-r',
            HOST,
            '--endpoint-url',
            DEAD_ENDPOINT,
            '--kubeconfig',
            kube.kubeconfigPath,
            ...args(),
          ],
          DUMMY_AWS_ENV,
        );
        assert.equal(run.status, 64, run.stdout + run.stderr);
        assert.match(run.stderr, expected);
        assert.equal(await readSecret(kube, namespace), undefined);
      });
    }
  });

  it('never prints the ECR password or the bearer token, even at trace level', async () => {
    const namespace = uniqueName('quiet');
    await createNamespaces(kube, [namespace]);
    const token = await kube.createServiceAccountToken(namespace, 'viewer');
    const kubeconfig = await kube.kubeconfigForToken(token, namespace);
    // The token may not write Secrets: every request is refused, and errors are printed.
    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kubeconfig,
        '--log-level',
        'trace',
        '--log-format',
        'json',
        '--force',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /HTTP 403 Forbidden/);
    const printed = run.stdout + run.stderr;
    for (const secret of [
      MOTO_PASSWORD,
      Buffer.from(`AWS:${MOTO_PASSWORD}`).toString('base64'),
      token,
    ])
      assert.ok(!printed.includes(secret));
  });
});
