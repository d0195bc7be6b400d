import assert from 'node:assert/strict';
import type { KubeApiServer, Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  MOTO_PASSWORD,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  pullSecretsOf,
  readSecret,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const RUNS = 50;

describe('e2e: ecr-refresh k8s under concurrency', function () {
  this.timeout(300_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  const refresh = (namespace: string): Promise<CliRun> =>
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
        '--force',
        '--log-level',
        'warn',
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );

  it(`a prober reading every few milliseconds never sees the Secret missing or invalid during ${RUNS} refreshes`, async () => {
    const namespace = uniqueName('prober');
    await createNamespaces(kube, [namespace]);
    assert.equal((await refresh(namespace)).status, 0);
    let probing = true;
    const problems: string[] = [];
    let probes = 0;
    const versions = new Set<string>();
    const prober = (async () => {
      while (probing) {
        const secret = await readSecret(kube, namespace);
        probes += 1;
        if (secret === undefined) problems.push(`probe ${probes}: the Secret is missing`);
        else {
          try {
            const entry = dockerConfigOf(secret).auths[HOST];
            if (Buffer.from(entry?.auth ?? '', 'base64').toString() !== `AWS:${MOTO_PASSWORD}`)
              problems.push(`probe ${probes}: no valid entry for ${HOST}`);
            versions.add(secret.metadata.resourceVersion);
          } catch (error) {
            problems.push(`probe ${probes}: ${(error as Error).message}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    try {
      for (let run = 0; run < RUNS; run += 1) {
        const result = await refresh(namespace);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.equal(JSON.parse(result.stdout).results[0].action, 'updated');
      }
    } finally {
      probing = false;
      await prober;
    }
    assert.deepEqual(problems, []);
    // The prober saw the refreshes happen (many versions), not one stale object.
    assert.ok(versions.size > RUNS / 2, `only ${versions.size} versions seen in ${probes} probes`);
  });

  it(`${RUNS} pairs of racing refreshes end with a valid Secret, no failure and no imagePullSecrets entry lost`, async () => {
    const namespace = uniqueName('race');
    await createNamespaces(kube, [namespace], { pullSecrets: ['theirs-a', 'theirs-b'] });
    const expected = ['theirs-a', 'theirs-b'];
    for (let pair = 0; pair < RUNS; pair += 1) {
      // Someone else takes our entry out and adds one of theirs; then a third writer keeps
      // appending entries while both refreshes race to put ours back.
      await setPullSecrets(kube, namespace, [...expected, `before-${pair}`]);
      expected.push(`before-${pair}`);
      let racing = true;
      const appender = (async () => {
        for (let entry = 0; racing; entry += 1) {
          await appendPullSecret(kube, namespace, `during-${pair}-${entry}`);
          expected.push(`during-${pair}-${entry}`);
        }
      })();
      const [first, second] = await Promise.all([refresh(namespace), refresh(namespace)]).finally(
        () => (racing = false),
      );
      await appender;
      for (const run of [first, second])
        assert.equal(run.status, 0, `pair ${pair}: ${run.stdout}${run.stderr}`);
      const entries = await pullSecretsOf(kube, namespace);
      assert.deepEqual(
        entries.filter((name) => name !== SECRET).sort(),
        [...expected].sort(),
        `pair ${pair}`,
      );
      assert.equal(
        entries.filter((name) => name === SECRET).length,
        1,
        `pair ${pair}: ${entries.join(', ')}`,
      );
      const config = dockerConfigOf(await readSecret(kube, namespace));
      assert.equal(
        Buffer.from(config.auths[HOST]?.auth ?? '', 'base64').toString(),
        `AWS:${MOTO_PASSWORD}`,
      );
    }
    // The races were real: the API server refused some of our writes as stale, and they were retried.
    // (This test itself only reads Secrets and never patches ServiceAccounts: those refusals are ecr-refresh's.)
    const refused = (await kube.auditEvents('admin')).filter(
      (event) =>
        event.objectRef?.namespace === namespace &&
        [409, 422].includes(event.responseStatus?.code ?? 0),
    );
    assert.ok(
      refused.some((event) => event.objectRef?.resource === 'secrets'),
      'no Secret write lost a race',
    );
    assert.ok(
      refused.some(
        (event) => event.objectRef?.resource === 'serviceaccounts' && event.verb === 'patch',
      ),
      'no ServiceAccount patch lost a race',
    );
  });
});

/** Replaces the ServiceAccount's imagePullSecrets as another tool would (read, change, PUT with resourceVersion). */
async function setPullSecrets(
  kube: KubeApiServer,
  namespace: string,
  names: readonly string[],
): Promise<void> {
  await updateServiceAccount(kube, namespace, () => names.map((name) => ({ name })));
}

/** Appends one entry, retrying its own conflicts, as a well-behaved concurrent writer does. */
async function appendPullSecret(
  kube: KubeApiServer,
  namespace: string,
  name: string,
): Promise<void> {
  await updateServiceAccount(kube, namespace, (entries) => [...entries, { name }]);
}

async function updateServiceAccount(
  kube: KubeApiServer,
  namespace: string,
  change: (entries: Array<{ name: string }>) => Array<{ name: string }>,
): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/default`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const current = await kube.request('GET', path);
    const body = { ...current.body, imagePullSecrets: change(current.body.imagePullSecrets ?? []) };
    const written = await kube.request('PUT', path, body);
    if (written.status === 200) return;
    assert.equal(written.status, 409, JSON.stringify(written.body));
  }
  assert.fail(`could not update ${path}`);
}
