import assert from 'node:assert/strict';
import { FakeKubeApi } from '../__fixtures__/fake-kube-api.ts';
import { contextFor } from '../__fixtures__/apply-context.ts';
import {
  QUICK_BACKOFF,
  settle,
  startSinkWatch,
  type RunningWatch,
} from '../__fixtures__/running-watch.ts';
import { createRancherProjectSink } from './project-sink.ts';
import { PROJECT_SCOPED_SECRET_LABEL, SETTINGS, projectsOf } from './rancher-objects.ts';

const SECRET = 'ecr-pull-credentials';
const BACKING = 'c-test-p-abcde';
const KEY = `${BACKING}/${SECRET}`;

describe('k8s/rancher2/project-watch', () => {
  let api: FakeKubeApi;
  let running: RunningWatch | undefined;
  let sink: ReturnType<typeof createRancherProjectSink>;

  beforeEach(async () => {
    api = new FakeKubeApi();
    api.putCustomObject(SETTINGS, { metadata: { name: 'server-version' }, value: 'v2.13.1' });
    api.putCustomObject(projectsOf('c-test'), {
      metadata: { name: 'p-abcde' },
      spec: { displayName: 'payments' },
      status: { backingNamespace: BACKING },
    });
    api.addNamespace(BACKING);
    sink = createRancherProjectSink(
      { projects: ['c-test:p-abcde'] },
      {
        management: { context: 'rancher', namespace: 'default', api },
        downstream: () => undefined,
        watchBackoff: QUICK_BACKOFF,
      },
    );
    await sink.apply(contextFor());
    running = startSinkWatch(sink);
    await settle();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('reports a deleted project Secret (Rancher then deletes every copy), and not its own writes', async () => {
    await sink.apply(contextFor({ force: true }));
    await settle();
    assert.deepEqual(running?.reasons, []);
    api.deleteSecret(BACKING, SECRET);
    assert.deepEqual(await running?.until(/deleted/), [
      `rancher/c-test:p-abcde: Secret ${SECRET} deleted`,
    ]);
  });

  it('reports a Secret that lost its project-scoped label, or whose credentials someone rewrote', async () => {
    const secret = structuredClone(api.secrets.get(KEY) ?? {});
    delete secret.metadata?.labels?.[PROJECT_SCOPED_SECRET_LABEL];
    api.putSecret(BACKING, secret);
    await running?.until(/lost its management\.cattle\.io\/project-scoped-secret label/);
    await sink.apply(contextFor({ force: true }));
    const rewritten = structuredClone(api.secrets.get(KEY) ?? {});
    rewritten.data = { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') };
    api.putSecret(BACKING, rewritten);
    await running?.until(/Secret ecr-pull-credentials altered/);
  });

  it('watches only the Secret by name in its backing namespace', async () => {
    const byName = `watch /api/v1/namespaces/${BACKING}/secrets?labelSelector=app.kubernetes.io/managed-by=ecr-refresh&fieldSelector=metadata.name=ecr-pull-credentials`;
    assert.ok(
      api.requests.some((request) => request === byName),
      api.requests.join('\n'),
    );
    assert.ok(
      !api.requests.some((request) => /^watch \/api\/v1\/(namespaces|secrets)(\?|$)/.test(request)),
    );
  });
});
