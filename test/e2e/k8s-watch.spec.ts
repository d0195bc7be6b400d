import assert from 'node:assert/strict';
import { freePort, type KubeApiServer, type Moto } from '../peers/index.ts';
import { waitUntil } from '../peers/wait-until.ts';
import { DUMMY_AWS_ENV, startCli } from '../support/run-cli.ts';
import { HOST, SECRET, createNamespaces, pullSecretsOf, readSecret, uniqueName, useKubeAndMoto } from './k8s-helpers.ts';

// The Deployment of deploy/ runs `k8s --watch`: the service keeps the Secrets fresh and says so on /readyz.
describe('e2e: ecr-refresh k8s --watch (the Deployment mode)', function () {
  this.timeout(60_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  it('writes every namespace, turns ready, exports per-target metrics and exits 0 on SIGTERM', async () => {
    const prefix = uniqueName('watch');
    await createNamespaces(kube, [`${prefix}-a`, `${prefix}-b`]);
    const port = await freePort();
    const service = startCli(['k8s', '--watch', '--listen', `127.0.0.1:${port}`, '-r', HOST, '--endpoint-url', moto.endpoint, '--kubeconfig', kube.kubeconfigPath, '-n', `${prefix}-*`, '--log-format', 'json'], DUMMY_AWS_ENV);
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { what: '/readyz 200', timeoutMs: 30_000, intervalMs: 100 });
      for (const namespace of [`${prefix}-a`, `${prefix}-b`]) {
        assert.ok(await readSecret(kube, namespace));
        assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
      }
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /ecr_refresh_target_results_total\{sink="k8s",action="created"\} 2/);
      service.child.kill('SIGTERM');
      const exit = await service.exited;
      assert.equal(exit.status, 0, exit.stderr);
    } finally {
      service.child.kill('SIGKILL');
    }
  });
});
