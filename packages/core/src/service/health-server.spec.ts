import assert from 'node:assert/strict';
import { Registry, Counter } from 'prom-client';
import { startHealthServer, type HealthState } from './health-server.ts';

describe('core/service/health-server', () => {
  it('answers /healthz always, /readyz by the state, /metrics in Prometheus format', async () => {
    const registry = new Registry();
    new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
    const state: HealthState = { ready: false, reason: 'first refresh not finished' };
    const server = await startHealthServer({ host: '127.0.0.1', port: 0 }, state, registry);
    try {
      const base = `http://${server.address}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const unready = await fetch(`${base}/readyz`);
      assert.equal(unready.status, 503);
      assert.match(await unready.text(), /first refresh not finished/);
      state.ready = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const metrics = await fetch(`${base}/metrics`);
      assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(await metrics.text(), /^test_things_total 3$/m);
      assert.equal((await fetch(`${base}/other`)).status, 404);
      assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });
});
