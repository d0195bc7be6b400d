import assert from 'node:assert/strict';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { contextFor } from './__fixtures__/apply-context.ts';
import {
  QUICK_BACKOFF,
  settle,
  startSinkWatch,
  type RunningWatch,
} from './__fixtures__/running-watch.ts';
import { createKubernetesSink } from './kubernetes-sink.ts';
import type { KubernetesSinkOptionsInput } from './options.ts';

const SECRET = 'ecr-pull-credentials';

function startWatch(
  api: FakeKubeApi,
  options: KubernetesSinkOptionsInput,
): RunningWatch & { sink: ReturnType<typeof createKubernetesSink> } {
  const sink = createKubernetesSink(options, {
    clusters: [{ context: 'prod', namespace: 'team-a', api }],
    watchBackoff: QUICK_BACKOFF,
  });
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
    const sink = createKubernetesSink(
      { namespaces: ['*'] },
      { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
    );
    await sink.apply(contextFor());
    await settle();
    const secret = structuredClone(api.secrets.get(`team-a/${SECRET}`));
    assert.ok(secret?.data !== undefined);
    api.putSecret('team-a', {
      ...secret,
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    });
    await running.until(/altered/);
    api.deleteSecret('team-a', SECRET);
    assert.deepEqual(await running.until(/deleted/), [
      `prod/team-a: Secret ${SECRET} altered`,
      `prod/team-a: Secret ${SECRET} deleted`,
    ]);
  });

  it('for plain names, watches only those namespaces and never the namespace list', async () => {
    running = startWatch(api, { namespaces: ['team-a'] });
    await createKubernetesSink(
      { namespaces: ['team-a'] },
      { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
    ).apply(contextFor());
    await settle();
    api.addNamespace('team-b');
    api.deleteSecret('team-a', SECRET);
    assert.deepEqual(await running.until(/deleted/), [`prod/team-a: Secret ${SECRET} deleted`]);
    assert.ok(
      !api.requests.some((request) =>
        / \/api\/v1\/(namespaces|secrets|serviceaccounts)(\?|$)/.test(request),
      ),
      api.requests.join('\n'),
    );
  });

  describe('ServiceAccounts', () => {
    it('reports a chosen ServiceAccount created without the reference, or that lost it; not our own patch, not another one', async () => {
      const watch = startWatch(api, {
        namespaces: ['team-*'],
        serviceAccounts: ['default', 'builder'],
      });
      running = watch;
      await watch.sink.apply(contextFor());
      await settle();
      api.addNamespace('other');
      api.addServiceAccount('other', 'default');
      api.addServiceAccount('team-a', 'someone-else');
      api.addServiceAccount('team-a', 'builder', ['theirs']);
      await running.until(/builder/);
      const context = contextFor();
      await watch.sink.apply(context);
      assert.deepEqual(api.serviceAccounts.get('team-a/builder')?.imagePullSecrets, [
        { name: 'theirs' },
        { name: SECRET },
      ]);
      assert.equal(context.fetches, 0, 'a fresh Secret: the ServiceAccount costs no ECR call');
      api.addServiceAccount('team-a', 'default', ['theirs']);
      await running.until(/default/);
      await settle();
      assert.deepEqual(watch.reasons, [
        `prod/team-a: ServiceAccount builder lacks Secret ${SECRET}`,
        `prod/team-a: ServiceAccount default lacks Secret ${SECRET}`,
      ]);
    });

    it('watches named ServiceAccounts by name across listed namespaces, and every one only for "*"', async () => {
      running = startWatch(api, {
        namespaces: ['team-*'],
        serviceAccounts: ['default', 'builder'],
      });
      await settle();
      const watches = () =>
        api.requests
          .filter((request) => request.startsWith('watch /api/v1/serviceaccounts'))
          .sort();
      assert.deepEqual(watches(), [
        'watch /api/v1/serviceaccounts?fieldSelector=metadata.name=builder',
        'watch /api/v1/serviceaccounts?fieldSelector=metadata.name=default',
      ]);
      await running.stop();
      api.requests.length = 0;
      const every = startWatch(api, { namespaces: ['team-*'], serviceAccounts: ['*'] });
      running = every;
      await settle();
      assert.deepEqual(watches(), ['watch /api/v1/serviceaccounts']);
      api.addServiceAccount('team-a', 'anyone');
      await every.until(/anyone/);
    });

    it("for plain names, watches each namespace's ServiceAccounts by name, and none when no ServiceAccount is chosen", async () => {
      running = startWatch(api, { namespaces: ['team-a'] });
      await settle();
      assert.deepEqual(
        api.requests.filter(
          (request) => request.startsWith('watch ') && request.includes('serviceaccounts'),
        ),
        ['watch /api/v1/namespaces/team-a/serviceaccounts?fieldSelector=metadata.name=default'],
      );
      api.addServiceAccount('team-a', 'default', []);
      await running.until(/default/);
      await running.stop();
      api.requests.length = 0;
      running = startWatch(api, { namespaces: ['team-a'], serviceAccounts: [] });
      await settle();
      api.addServiceAccount('team-a', 'default', ['theirs']);
      await settle();
      assert.deepEqual(
        api.requests.filter((request) => request.includes('serviceaccounts')),
        [],
      );
      assert.deepEqual(running.reasons, []);
    });
  });

  describe('the opt-out label ecr-refresh/exclude', () => {
    it('watches namespaces without it (server-side), so removing the label reports the namespace and adding it does not', async () => {
      api.addNamespace('team-b', { 'ecr-refresh/exclude': 'true' });
      running = startWatch(api, { namespaces: ['*'] });
      await settle();
      assert.ok(
        api.requests.includes('watch /api/v1/namespaces?labelSelector=ecr-refresh/exclude!=true'),
        api.requests.join('\n'),
      );
      api.labelNamespace('team-a', { team: 'apps', 'ecr-refresh/exclude': 'true' });
      api.labelNamespace('team-b', {});
      assert.deepEqual(await running.until(/team-b/), ['prod/team-b: namespace added']);
    });

    it('leaves an opted-out namespace alone while serving the others: no Secret, no ServiceAccount patch, an existing Secret kept', async () => {
      api.addNamespace('team-b', { 'ecr-refresh/exclude': 'true' });
      api.addServiceAccount('team-b', 'default');
      const sink = createKubernetesSink(
        { namespaces: ['*'] },
        { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
      );
      await sink.apply(contextFor());
      assert.ok(api.secrets.has(`team-a/${SECRET}`));
      assert.equal(api.secrets.has(`team-b/${SECRET}`), false);
      assert.equal(api.serviceAccounts.get('team-b/default')?.imagePullSecrets, undefined);
      // Opting out later keeps what is there: ecr-refresh never deletes, and no longer writes.
      api.labelNamespace('team-a', { 'ecr-refresh/exclude': 'true' });
      const before = structuredClone(api.secrets.get(`team-a/${SECRET}`));
      api.requests.length = 0;
      const results = await sink.apply(contextFor({ force: true }));
      assert.deepEqual(results, []);
      assert.deepEqual(api.secrets.get(`team-a/${SECRET}`), before);
      assert.deepEqual(
        api.requests.filter((request) => !request.startsWith('list ')),
        [],
      );
    });

    it('reports a named namespace that opted out as left alone, and writes nothing there', async () => {
      api.labelNamespace('team-a', { 'ecr-refresh/exclude': 'true' });
      const sink = createKubernetesSink(
        { namespaces: ['team-a'] },
        { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
      );
      const results = await sink.apply(contextFor());
      assert.deepEqual(
        results.map(({ target, action, reason }) => ({ target, action, reason })),
        [
          {
            target: 'prod/team-a',
            action: 'unchanged',
            reason: 'left alone: the namespace is labelled ecr-refresh/exclude=true',
          },
        ],
      );
      assert.deepEqual(api.requests, ['get namespaces/team-a']);
    });
  });

  it('resumes a dropped watch from the last resourceVersion: a change made while it was down is still reported', async () => {
    running = startWatch(api, { namespaces: ['team-*'] });
    await settle();
    api.addNamespace('team-b');
    await running.until(/team-b/);
    api.dropWatches();
    api.failConnections = 2;
    api.addNamespace('team-c');
    assert.deepEqual(await running.until(/team-c/), [
      'prod/team-b: namespace added',
      'prod/team-c: namespace added',
    ]);
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
