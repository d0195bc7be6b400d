import assert from 'node:assert/strict';
import {
  freePort,
  startFaultProxy,
  startKubeApiServer,
  type FaultProxy,
  type KubeApiServer,
  type Moto,
} from '../peers/index.ts';
import { waitUntil } from '../peers/wait-until.ts';
import { DUMMY_AWS_ENV, readEndpoint, startCli } from '../support/run-cli.ts';
import {
  HOST,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  pullSecretsOf,
  readSecret,
  referencedWithin,
  servedWithin,
} from './k8s-helpers.ts';
import {
  startWatchService,
  stripPullSecret,
  uniqueName,
  useKubeAndMoto,
  type WatchService,
} from './k8s-helpers.ts';

/** The opt-out label of a namespace. */
const EXCLUDE = 'ecr-refresh/exclude';

/** The service serving the namespaces `<prefix>-*` of `kube`. */
const startService = (kube: KubeApiServer, moto: Moto, prefix: string) =>
  startWatchService(moto, ['--kubeconfig', kube.kubeconfigPath, '-n', `${prefix}-*`]);

// The Deployment of deploy/ runs `k8s --watch`: the service keeps the Secrets fresh and says so on /readyz.
describe('e2e: ecr-refresh k8s --watch (the Deployment mode)', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  it('writes every namespace, turns ready, exports per-target metrics and exits 0 on SIGTERM', async () => {
    const prefix = uniqueName('watch');
    await createNamespaces(kube, [`${prefix}-a`, `${prefix}-b`]);
    const port = await freePort();
    const service = startCli(
      [
        'k8s',
        '--watch',
        '--listen',
        `127.0.0.1:${port}`,
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        `${prefix}-*`,
        '--log-format',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
        what: '/readyz 200',
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      for (const namespace of [`${prefix}-a`, `${prefix}-b`]) {
        assert.ok(await readSecret(kube, namespace));
        assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      }
      const metrics = (await readEndpoint(`http://127.0.0.1:${port}/metrics`)).body;
      // The kubeconfig's one context names the cluster.
      assert.match(
        metrics,
        /^ecr_refresh_target_results_total\{sink="k8s",action="created",cluster="ecr-refresh-test"\} 2$/m,
      );
      const lastSuccess =
        /^ecr_refresh_cluster_last_success_timestamp_seconds\{cluster="ecr-refresh-test"\} ([\d.]+)$/m.exec(
          metrics,
        )?.[1];
      assert.ok(Math.abs(Number(lastSuccess) - Date.now() / 1000) < 60, metrics);
      service.child.kill('SIGTERM');
      const exit = await service.exited;
      assert.equal(exit.status, 0, exit.stderr);
    } finally {
      service.child.kill('SIGKILL');
    }
  });

  describe('watching the cluster while it runs', () => {
    let prefix: string;
    let service: WatchService | undefined;
    before(async () => {
      prefix = uniqueName('watched');
      await createNamespaces(kube, [`${prefix}-first`]);
      service = await startService(kube, moto, prefix);
    });
    after(async () => {
      await service?.stop();
      service?.cli.child.kill('SIGKILL');
    });

    it('serves a namespace created while it runs within 5 s (Secret and ServiceAccount), with no ECR call', async () => {
      const calls = await service!.ecrCalls();
      await createNamespaces(kube, [`${prefix}-new`]);
      const tookMs = await servedWithin(kube, `${prefix}-new`);
      assert.ok(tookMs < 5000, `served after ${tookMs} ms`);
      assert.equal(await service!.ecrCalls(), calls, 'the cached token served the new namespace');
    });

    it('leaves a namespace outside its selection alone', async () => {
      const outside = uniqueName('outside');
      await createNamespaces(kube, [outside, `${prefix}-marker`]);
      await servedWithin(kube, `${prefix}-marker`);
      assert.equal(await readSecret(kube, outside), undefined);
    });

    it('puts back a managed Secret someone deleted', async () => {
      const namespace = `${prefix}-first`;
      const deleted = await kube.request(
        'DELETE',
        `/api/v1/namespaces/${namespace}/secrets/${SECRET}`,
      );
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      const tookMs = await servedWithin(kube, namespace);
      assert.ok(tookMs < 5000, `restored after ${tookMs} ms`);
    });

    it('restores a managed Secret whose credentials someone altered', async () => {
      const namespace = `${prefix}-first`;
      const secret = await readSecret(kube, namespace);
      const forged = Buffer.from(
        JSON.stringify({
          auths: { [HOST]: { auth: Buffer.from('AWS:forged').toString('base64') } },
        }),
      ).toString('base64');
      const replaced = await kube.request(
        'PUT',
        `/api/v1/namespaces/${namespace}/secrets/${SECRET}`,
        { ...secret, data: { '.dockerconfigjson': forged } },
      );
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      await waitUntil(
        async () =>
          dockerConfigOf(await readSecret(kube, namespace)).auths[HOST]?.auth !==
          Buffer.from('AWS:forged').toString('base64'),
        {
          what: 'the altered Secret restored',
          timeoutMs: 5000,
          intervalMs: 50,
        },
      );
      assert.equal(
        dockerConfigOf(await readSecret(kube, namespace)).auths[HOST]?.password,
        '123456789012-auth-token',
      );
    });
  });

  describe('ServiceAccounts and the opt-out label while it runs (ECR calls counted at a proxy in front of moto)', () => {
    let prefix: string;
    let ecr: FaultProxy;
    let service: WatchService | undefined;
    before(async () => {
      prefix = uniqueName('sa-watch');
      await createNamespaces(kube, [`${prefix}-a`, `${prefix}-b`]);
      ecr = await startFaultProxy(moto.endpoint);
      service = await startWatchService({ endpoint: ecr.url }, [
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        `${prefix}-*`,
      ]);
      assert.ok(ecr.requests.length > 0, 'the first refresh asked ECR through the proxy');
    });
    after(async () => {
      await service?.stop();
      service?.cli.child.kill('SIGKILL');
      await ecr?.stop();
    });
    const labelNamespace = async (namespace: string, value: string | null) => {
      const patched = await kube.request(
        'PATCH',
        `/api/v1/namespaces/${namespace}`,
        { metadata: { labels: { [EXCLUDE]: value } } },
        { contentType: 'application/merge-patch+json' },
      );
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
    };

    it('references the Secret from a ServiceAccount created while it runs within 2 s, with no ECR call', async () => {
      const namespace = `${prefix}-a`;
      const calls = ecr.requests.length;
      assert.equal(
        (await kube.request('DELETE', `/api/v1/namespaces/${namespace}/serviceaccounts/default`))
          .status,
        200,
      );
      const created = await kube.request(
        'POST',
        `/api/v1/namespaces/${namespace}/serviceaccounts`,
        { metadata: { name: 'default' }, imagePullSecrets: [{ name: 'theirs' }] },
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const tookMs = await referencedWithin(kube, namespace);
      assert.ok(tookMs < 2000, `referenced after ${tookMs} ms`);
      assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
      assert.equal(ecr.requests.length, calls, 'no ECR call for a ServiceAccount');
    });

    it('puts the reference back within 2 s when someone removes it, keeping the other entries, with no ECR call', async () => {
      const namespace = `${prefix}-b`;
      await kube.request('PUT', `/api/v1/namespaces/${namespace}/serviceaccounts/default`, {
        metadata: { name: 'default' },
        imagePullSecrets: [{ name: 'theirs' }, { name: SECRET }],
      });
      const calls = ecr.requests.length;
      assert.deepEqual(await stripPullSecret(kube, namespace), ['theirs']);
      const tookMs = await referencedWithin(kube, namespace);
      assert.ok(tookMs < 2000, `referenced again after ${tookMs} ms`);
      assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
      assert.equal(ecr.requests.length, calls, 'no ECR call for a ServiceAccount');
    });

    it(`never writes in a namespace labelled ${EXCLUDE}=true, created so or labelled while it runs; serves it again once the label is gone`, async () => {
      const born = `${prefix}-born-out`;
      await createNamespaces(kube, [born], { labels: { [EXCLUDE]: 'true' } });
      const labelled = `${prefix}-a`;
      await labelNamespace(labelled, 'true');
      // What is there stays (ecr-refresh never deletes); what someone removes is not put back.
      assert.ok(await readSecret(kube, labelled));
      assert.equal(
        (await kube.request('DELETE', `/api/v1/namespaces/${labelled}/secrets/${SECRET}`)).status,
        200,
      );
      await stripPullSecret(kube, labelled);
      // A namespace created after all that is served by a cycle that started after it: the proof that cycles ran meanwhile.
      await createNamespaces(kube, [`${prefix}-marker`]);
      await servedWithin(kube, `${prefix}-marker`);
      assert.equal(await readSecret(kube, born), undefined);
      assert.deepEqual(await pullSecretsOf(kube, born), []);
      assert.equal(await readSecret(kube, labelled), undefined);
      assert.deepEqual(await pullSecretsOf(kube, labelled), ['theirs']);
      await labelNamespace(born, null);
      const tookMs = await servedWithin(kube, born);
      assert.ok(tookMs < 2000, `served ${tookMs} ms after the label was removed`);
    });
  });

  describe('an API server restarted underneath the watch', () => {
    let ownKube: KubeApiServer | undefined;
    let service: WatchService | undefined;
    after(async () => {
      service?.cli.child.kill('SIGKILL');
      await ownKube?.stop();
    });

    it('reconnects and serves a namespace created after the restart', async () => {
      // A server of its own: restarting the shared one would disturb the other suites.
      ownKube = await startKubeApiServer();
      const prefix = uniqueName('restart');
      await createNamespaces(ownKube, [`${prefix}-before`]);
      service = await startService(ownKube, moto, prefix);
      await ownKube.restart();
      await createNamespaces(ownKube, [`${prefix}-after`]);
      await servedWithin(ownKube, `${prefix}-after`, 45_000);
      assert.equal(service.cli.child.exitCode, null, 'the service kept running');
      assert.equal((await fetch(`${service.base}/readyz`)).status, 200);
      await service?.stop();
    });
  });

  describe('SIGTERM during a refresh of many namespaces', () => {
    it('leaves every Secret written valid and exits 0', async () => {
      const prefix = uniqueName('many');
      const namespaces = Array.from(
        { length: 200 },
        (_, index) => `${prefix}-${String(index).padStart(3, '0')}`,
      );
      await createNamespaces(kube, namespaces);
      const port = await freePort();
      const cli = startCli(
        [
          'k8s',
          '--watch',
          '--listen',
          `127.0.0.1:${port}`,
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--kubeconfig',
          kube.kubeconfigPath,
          '-n',
          `${prefix}-*`,
          '--concurrency',
          '4',
          '--log-format',
          'json',
        ],
        DUMMY_AWS_ENV,
      );
      try {
        const written = async () => {
          const list = await kube.request(
            'GET',
            `/api/v1/secrets?labelSelector=app.kubernetes.io/managed-by%3Decr-refresh`,
          );
          assert.equal(list.status, 200);
          return (list.body.items as Array<{ metadata: { namespace: string } }>).filter((secret) =>
            secret.metadata.namespace.startsWith(`${prefix}-`),
          );
        };
        await waitUntil(async () => (await written()).length > 0, {
          what: 'the first Secret written',
          timeoutMs: 30_000,
          intervalMs: 20,
        });
        cli.child.kill('SIGTERM');
        const exit = await cli.exited;
        assert.equal(exit.status, 0, exit.stderr);
        const secrets = await written();
        assert.ok(secrets.length > 0 && secrets.length <= namespaces.length);
        for (const secret of secrets)
          assert.equal(
            dockerConfigOf(secret).auths[HOST]?.password,
            '123456789012-auth-token',
            secret.metadata.namespace,
          );
      } finally {
        cli.child.kill('SIGKILL');
      }
    });
  });
});
