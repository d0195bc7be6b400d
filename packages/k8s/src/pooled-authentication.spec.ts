import assert from 'node:assert/strict';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { pooledAuthentication } from './pooled-authentication.ts';

const SERVER = 'https://127.0.0.1:6443';

/** A kubeconfig whose credentials change under it, as an exec plugin's or a rotated token file's do. */
class RotatingKubeConfig extends KubeConfig {
  token = 'first-token-value';
  applied = 0;

  constructor() {
    super();
    this.loadFromOptions({
      clusters: [{ name: 'c', server: SERVER, skipTLSVerify: false }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.applied += 1;
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('Authorization', `Bearer ${this.token}`);
  }
}

async function apply(auth: ReturnType<typeof pooledAuthentication>): Promise<{ header: string | undefined; pool: unknown }> {
  const context = new RequestContext(`${SERVER}/api/v1/namespaces`, HttpMethod.GET);
  await auth.applySecurityAuthentication(context);
  return { header: context.getHeaders().Authorization, pool: context.getDispatcher() };
}

describe('k8s/pooled-authentication', () => {
  it('reuses one connection pool and the same credentials within a minute', async () => {
    const kubeConfig = new RotatingKubeConfig();
    let now = 0;
    const auth = pooledAuthentication(kubeConfig, () => now);
    const first = await apply(auth);
    kubeConfig.token = 'second-token-value';
    now = 59_000;
    const second = await apply(auth);
    assert.deepEqual([first.header, second.header], ['Bearer first-token-value', 'Bearer first-token-value']);
    assert.ok(first.pool !== undefined);
    assert.equal(second.pool, first.pool);
  });

  it('applies the credentials again once the minute has passed', async () => {
    const kubeConfig = new RotatingKubeConfig();
    let now = 0;
    const auth = pooledAuthentication(kubeConfig, () => now);
    await apply(auth);
    kubeConfig.token = 'second-token-value';
    now = 61_000;
    assert.equal((await apply(auth)).header, 'Bearer second-token-value');
  });

  it('applies the kubeconfig once for many requests arriving together', async () => {
    const kubeConfig = new RotatingKubeConfig();
    const auth = pooledAuthentication(kubeConfig, () => 0);
    const results = await Promise.all(Array.from({ length: 8 }, () => apply(auth)));
    assert.equal(new Set(results.map((result) => result.pool)).size, 1);
    assert.equal(kubeConfig.applied, 1);
  });
});
