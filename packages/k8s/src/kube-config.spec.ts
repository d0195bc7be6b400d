import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@ecr-refresh/core';
import { connectClusters } from './kube-config.ts';

function kubeconfig(contexts: Array<{ name: string; namespace?: string; cluster?: string }>, current?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
    users: [{ name: 'u', user: { token: 'a-token-for-tests-only' } }],
    contexts: contexts.map(({ name, namespace, cluster }) => ({ name, context: { cluster: cluster ?? 'c', user: 'u', ...(namespace === undefined ? {} : { namespace }) } })),
    ...(current === undefined ? {} : { 'current-context': current }),
  });
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('no ConfigError');
}

describe('k8s/kube-config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-kubeconfig-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("serves the current context with its namespace, or default when it names none", async () => {
    const path = join(dir, 'config');
    await writeFile(path, kubeconfig([{ name: 'prod', namespace: 'team-a' }, { name: 'dev' }], 'prod'));
    assert.deepEqual(connectClusters({ kubeconfig: path, env: {} }).map(({ context, namespace }) => [context, namespace]), [['prod', 'team-a']]);
    assert.deepEqual(connectClusters({ kubeconfig: path, contexts: ['dev'], env: {} }).map(({ context, namespace }) => [context, namespace]), [['dev', 'default']]);
    assert.deepEqual(connectClusters({ kubeconfig: path, contexts: 'all', env: {} }).map(({ context }) => context), ['prod', 'dev']);
  });

  it('merges every file of KUBECONFIG, as kubectl does', async () => {
    await writeFile(join(dir, 'one'), kubeconfig([{ name: 'one' }], 'one'));
    await writeFile(join(dir, 'two'), kubeconfig([{ name: 'two' }]));
    const env = { KUBECONFIG: `${join(dir, 'one')}:${join(dir, 'two')}` };
    assert.deepEqual(connectClusters({ contexts: 'all', env }).map(({ context }) => context), ['one', 'two']);
  });

  it('names an unknown context and the known ones', async () => {
    const path = join(dir, 'config');
    await writeFile(path, kubeconfig([{ name: 'prod' }], 'prod'));
    assert.deepEqual(problemsOf(() => connectClusters({ kubeconfig: path, contexts: ['staging', 'prod', 'qa'], env: {} })), [
      `k8s.contexts: no context "staging" in kubeconfig "${path}" (known: prod)`,
      `k8s.contexts: no context "qa" in kubeconfig "${path}" (known: prod)`,
    ]);
  });

  it('names an unreadable kubeconfig, a missing current-context, an invalid namespace and a missing cluster', async () => {
    assert.match(problemsOf(() => connectClusters({ kubeconfig: join(dir, 'missing'), env: {} }))[0] ?? '', /cannot read ".*missing": ENOENT/);
    const path = join(dir, 'config');
    await writeFile(path, kubeconfig([{ name: 'bad', namespace: 'Team_A', cluster: 'nowhere' }]));
    assert.match(problemsOf(() => connectClusters({ kubeconfig: path, env: {} }))[0] ?? '', /has no current-context; name one with --context \(known: bad\)/);
    assert.deepEqual(problemsOf(() => connectClusters({ kubeconfig: path, contexts: ['bad'], env: {} })), [
      'k8s.contexts: context "bad" names an invalid namespace "Team_A"',
      'k8s.contexts: context "bad" names a cluster the kubeconfig does not define',
    ]);
  });

  it('says every way to configure access when there is none', () => {
    assert.match(problemsOf(() => connectClusters({ env: { HOME: dir } }))[0] ?? '', /pass --kubeconfig, set KUBECONFIG, create ~\/\.kube\/config, or run in a pod/);
  });

  it("in a pod, uses the ServiceAccount and the pod's namespace, reported as in-cluster", async () => {
    const accountDir = join(dir, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    await mkdir(accountDir, { recursive: true });
    await Promise.all([writeFile(join(accountDir, 'token'), 'pod-token-value'), writeFile(join(accountDir, 'namespace'), 'payments'), writeFile(join(accountDir, 'ca.crt'), '')]);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    // The client reads these two from process.env itself.
    process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const [connection] = connectClusters({ inClusterRoot: dir, env: { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
      assert.deepEqual([connection?.context, connection?.namespace], ['in-cluster', 'payments']);
    } finally {
      for (const [name, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
