import assert from 'node:assert/strict';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { contextFor } from './__fixtures__/apply-context.ts';
import { QUICK_BACKOFF, settle, startSinkWatch, type RunningWatch } from './__fixtures__/running-watch.ts';
import { createKubernetesSink } from './kubernetes-sink.ts';
import type { KubernetesSinkOptionsInput } from './options.ts';

const SECRET = 'ecr-pull-credentials';

function startWatch(api: FakeKubeApi, options: KubernetesSinkOptionsInput): RunningWatch & { sink: ReturnType<typeof createKubernetesSink> } {
  const sink = createKubernetesSink(options, { clusters: [{ context: 'prod', namespace: 'team-a', api }], watchBackoff: QUICK_BACKOFF });
  return { sink, ...startSinkWatch(sink) };
}

describe('k8s/kubernetes-watch', () => {
  let api: FakeKubeApi;
  let running: RunningWatch | undefined;
  beforeEach(() => {
    api = new FakeKubeApi();
    api.addNamespace('team-a', { team: 'apps' });
    api.addServiceAccount('team-a', 'default');
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('reports a namespace created after the watch started, and only one the selection serves', async () => {
    running = startWatch(api, { namespaces: ['team-*'], excludeNamespaces: ['team-old'] });
    await settle();
    api.addNamespace('other');
    api.addNamespace('team-old');
    api.addNamespace('team-new');
    assert.deepEqual(await running.until(/team-new/), ['prod/team-new: namespace added']);
  });

  it('leaves namespaces present before the watch, and its own writes, unreported', async () => {
    const watch = startWatch(api, { namespaces: ['*'] });
    running = watch;
    await settle();
    await watch.sink.apply(contextFor());
    await watch.sink.apply(contextFor({ force: true }));
    await settle();
    assert.deepEqual(watch.reasons, []);
  });

  it('reports a managed Secret deleted, or altered so that its record no longer holds', async () => {
    running = startWatch(api, { namespaces: ['*'] });
    const sink = createKubernetesSink({ namespaces: ['*'] }, { clusters: [{ context: 'prod', namespace: 'team-a', api }] });
    await sink.apply(contextFor());
    await settle();
    const secret = structuredClone(api.secrets.get(`team-a/${SECRET}`));
    assert.ok(secret?.data !== undefined);
    api.putSecret('team-a', { ...secret, data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') } });
    await running.until(/altered/);
    api.deleteSecret('team-a', SECRET);
    assert.deepEqual(await running.until(/deleted/), [`prod/team-a: Secret ${SECRET} altered`, `prod/team-a: Secret ${SECRET} deleted`]);
  });

  it('for plain names, watches only those namespaces and never the namespace list', async () => {
    running = startWatch(api, { namespaces: ['team-a'] });
    await createKubernetesSink({ namespaces: ['team-a'] }, { clusters: [{ context: 'prod', namespace: 'team-a', api }] }).apply(contextFor());
    await settle();
    api.addNamespace('team-b');
    api.deleteSecret('team-a', SECRET);
    assert.deepEqual(await running.until(/deleted/), [`prod/team-a: Secret ${SECRET} deleted`]);
    assert.ok(!api.requests.some((request) => request.endsWith(' /api/v1/namespaces') || request.endsWith(' /api/v1/secrets')), api.requests.join('\n'));
  });

  it('resumes a dropped watch from the last resourceVersion: a change made while it was down is still reported', async () => {
    running = startWatch(api, { namespaces: ['team-*'] });
    await settle();
    api.addNamespace('team-b');
    await running.until(/team-b/);
    api.dropWatches();
    api.failConnections = 2;
    api.addNamespace('team-c');
    assert.deepEqual(await running.until(/team-c/), ['prod/team-b: namespace added', 'prod/team-c: namespace added']);
  });

  for (const goneAs of ['status', 'event'] as const) {
    it(`starts over from a new list on 410 Gone (as ${goneAs === 'status' ? 'an HTTP answer' : 'an ERROR event'}), says changes may be lost, and keeps watching`, async () => {
      api.goneAs = goneAs;
      running = startWatch(api, { namespaces: ['team-*'] });
      await settle();
      api.addNamespace('team-b');
      await running.until(/team-b/);
      api.forgetHistory();
      api.dropWatches();
      await running.until(/started over/);
      api.addNamespace('team-c');
      await running.until(/team-c/);
    });
  }

  it('stops when aborted, also while the API server is unreachable', async () => {
    api.failConnections = Number.MAX_SAFE_INTEGER;
    const watch = startWatch(api, { namespaces: ['team-*'] });
    await settle();
    await watch.stop();
    const attempts = api.requests.length;
    await settle();
    assert.equal(api.requests.length, attempts, 'no attempt after the abort');
    assert.ok(attempts >= 2, `retried while unreachable (${attempts} attempts)`);
  });
});
