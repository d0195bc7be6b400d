import assert from 'node:assert/strict';
import { request } from 'node:https';
import { httpRequest, type HttpResponse } from './http-request.ts';
import { startRancherProxy, useKube, type KubeApiServer, type RancherProxy } from './index.ts';

describe('Rancher proxy peer', function () {
  this.timeout(60_000);
  let kube: KubeApiServer;
  let proxy: RancherProxy;
  const user = { id: 'u-peer1', groups: ['github_team://4242'] };

  before(async function () {
    this.timeout(20 * 60_000); // a cold cache builds the API server first
    kube = await useKube();
    proxy = await startRancherProxy(kube);
  });
  beforeEach(() => proxy.clearRecords());
  after(async () => proxy?.stop());

  const call = (
    url: string,
    token?: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> =>
    httpRequest(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      tls: { ca: proxy.caPem },
    });
  /** Binds a Rancher user (as the proxy impersonates it) to cluster-admin. */
  const grantClusterAdmin = async (userId: string) => {
    const binding = await kube.request(
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      {
        metadata: { name: `${userId}-admin` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: userId }],
      },
    );
    // 409: bound by an earlier run on the same API server.
    assert.ok(binding.status === 201 || binding.status === 409, `binding: ${binding.status}`);
  };
  /** Who the API server took the request for, by its SelfSubjectReview. */
  const whoAmI = async (server: string, token: string, headers: Record<string, string> = {}) => {
    const answer = await call(`${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, token, {
      method: 'POST',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      headers,
    });
    assert.equal(answer.status, 201, answer.body);
    return JSON.parse(answer.body).status.userInfo as { username: string; groups: string[] };
  };

  it('forwards under each cluster prefix as the Rancher user and its groups, whatever impersonation the client asks for', async () => {
    const token = proxy.issueToken(user);
    assert.match(token, /^kubeconfig-u-peer1:[bcdfghjklmnpqrstvwxz2456789]{54}$/);
    for (const clusterId of ['local', 'c-test']) {
      const seen = await whoAmI(proxy.serverFor(clusterId), token, {
        'Impersonate-User': 'system:admin',
        'Impersonate-Group': 'system:masters',
      });
      assert.equal(seen.username, user.id);
      assert.deepEqual(seen.groups.sort(), [
        'github_team://4242',
        'system:authenticated',
        'system:cattle:authenticated',
      ]);
    }
    assert.deepEqual(
      proxy.forwarded.map(
        ({ method, clusterId, path, user: who, via }) =>
          `${method} ${clusterId} ${path} ${who} ${via}`,
      ),
      [
        'POST local /apis/authentication.k8s.io/v1/selfsubjectreviews u-peer1 proxy',
        'POST c-test /apis/authentication.k8s.io/v1/selfsubjectreviews u-peer1 proxy',
      ],
    );
  });

  it('answers 404 outside a known cluster prefix and 401 without a valid token, with Kubernetes Status bodies', async () => {
    const token = proxy.issueToken(user);
    const scoped = proxy.issueToken(user, { clusterId: 'c-test' });
    const answers = [
      await call(`${proxy.url}/api/v1/namespaces`, token),
      await call(`${proxy.url}/k8s/clusters/c-other/api/v1/namespaces`, token),
      await call(`${proxy.serverFor('c-test')}/api/v1/namespaces`),
      await call(`${proxy.serverFor('c-test')}/api/v1/namespaces`, `${token}x`),
      await call(`${proxy.serverFor('local')}/api/v1/namespaces`, scoped),
    ];
    assert.deepEqual(
      answers.map((answer) => [answer.status, JSON.parse(answer.body).reason]),
      [
        [404, 'NotFound'],
        [404, 'NotFound'],
        [401, 'Unauthorized'],
        [401, 'Unauthorized'],
        [401, 'Unauthorized'],
      ],
    );
    assert.deepEqual(
      proxy.refused.map((refusal) => refusal.status),
      [404, 404, 401, 401, 401],
    );
    assert.deepEqual(proxy.forwarded, []);
    assert.equal((await whoAmI(proxy.serverFor('c-test'), scoped)).username, user.id);
    proxy.revokeToken(token);
    assert.equal((await call(`${proxy.serverFor('c-test')}/api/v1/namespaces`, token)).status, 401);
  });

  it('serves each cluster at its authorized endpoint, without the prefix', async () => {
    const seen = await whoAmI(proxy.endpointFor('c-test'), proxy.issueToken(user));
    assert.equal(seen.username, user.id);
    assert.deepEqual(
      proxy.forwarded.map(({ clusterId, via }) => `${clusterId} ${via}`),
      ['c-test endpoint'],
    );
  });

  it('streams a watch, and stop() ends it', async () => {
    const own = await startRancherProxy(kube, { clusterIds: ['c-test'] });
    const token = own.issueToken({ id: 'u-peer2' });
    await grantClusterAdmin('u-peer2');
    const ended = new Promise<string>((resolve, reject) => {
      const watch = request(
        `${own.serverFor('c-test')}/api/v1/namespaces?watch=1&timeoutSeconds=60`,
        { ca: own.caPem, headers: { authorization: `Bearer ${token}` } },
        (answer) => {
          let text = '';
          answer.setEncoding('utf8');
          answer.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('\n')) void own.stop();
          });
          answer.on('error', () => resolve(text));
          answer.on('close', () => resolve(text));
        },
      );
      watch.on('error', reject);
      watch.end();
    });
    const text = await ended;
    assert.equal(JSON.parse(text.split('\n')[0] ?? '').type, 'ADDED');
    assert.deepEqual(
      own.forwarded.map(({ path }) => path),
      ['/api/v1/namespaces?watch=1&timeoutSeconds=60'],
    );
  });

  it('serves a downstream cluster added at run time, and counts its open requests until they close', async () => {
    const own = await startRancherProxy(kube, { clusterIds: ['local'] });
    try {
      const token = own.issueToken({ id: 'u-peer3' });
      await grantClusterAdmin('u-peer3');
      const namespaces = `${own.url}/k8s/clusters/c-added/api/v1/namespaces`;
      // The same CA as the suite's proxy: `call` fits.
      assert.equal((await call(namespaces, token)).status, 404);

      await own.addDownstream('c-added', kube);
      assert.deepEqual(own.clusterIds, ['local', 'c-added']);
      assert.equal(own.serverFor('c-added'), `${own.url}/k8s/clusters/c-added`);
      const listed = await call(namespaces, token);
      assert.equal(listed.status, 200, listed.body);
      await assert.rejects(own.addDownstream('c-added', kube), /already serves cluster "c-added"/);

      const watching = new AbortController();
      const firstEvent = new Promise<void>((resolve, reject) => {
        const watch = request(
          `${own.endpointFor('c-added')}/api/v1/namespaces?watch=1&timeoutSeconds=60`,
          { ca: own.caPem, headers: { authorization: `Bearer ${token}` }, signal: watching.signal },
          (answer) => answer.once('data', () => resolve()),
        );
        watch.on('error', (error) => (watching.signal.aborted ? undefined : reject(error)));
        watch.end();
      });
      await firstEvent;
      assert.equal(own.openRequests('c-added'), 1);
      assert.equal(own.openRequests('local'), 0);
      watching.abort();
      const deadline = Date.now() + 5000;
      while (own.openRequests('c-added') > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(own.openRequests('c-added'), 0);
      assert.deepEqual(
        own.forwarded.map(({ clusterId, via }) => `${clusterId} ${via}`),
        ['c-added proxy', 'c-added endpoint'],
      );
    } finally {
      await own.stop();
    }
  });

  it('shows each cluster id only its own namespaces when ids share an API server (namespaceViews)', async () => {
    const run = `v${Date.now().toString(36)}`;
    const names = { 'c-a': [`${run}-a1`, `${run}-a2`], 'c-b': [`${run}-b1`] };
    for (const name of Object.values(names).flat()) {
      await kube.createNamespace(name);
      const created = await kube.request('POST', `/api/v1/namespaces/${name}/configmaps`, {
        metadata: { name: 'view-probe' },
      });
      assert.equal(created.status, 201);
    }
    const shared = await startRancherProxy(kube, {
      clusterIds: ['c-a', 'c-b'],
      namespaceViews: {
        'c-a': (namespace) => names['c-a'].includes(namespace),
        'c-b': (namespace) => names['c-b'].includes(namespace),
      },
    });
    try {
      const token = shared.issueToken({ id: 'u-peer4' });
      await grantClusterAdmin('u-peer4');
      const namesIn = async (clusterId: string, path: string, key: 'name' | 'namespace') => {
        const answer = await httpRequest(`${shared.serverFor(clusterId)}${path}`, {
          method: 'GET',
          // Asked compressed: the filtered answer comes plain, with its length.
          headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' },
          tls: { ca: shared.caPem },
        });
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
        const list = JSON.parse(answer.body) as {
          items: Array<{ metadata: { name: string; namespace?: string } }>;
        };
        return list.items.map((item) => item.metadata[key]).filter((name) => name?.startsWith(run));
      };
      for (const [clusterId, own] of Object.entries(names)) {
        assert.deepEqual(await namesIn(clusterId, '/api/v1/namespaces', 'name'), own);
        assert.deepEqual(
          await namesIn(
            clusterId,
            '/api/v1/configmaps?fieldSelector=metadata.name=view-probe',
            'namespace',
          ),
          own,
        );
      }
      // Inside a namespace nothing is filtered: the view is for lists across the cluster only.
      assert.deepEqual(
        await namesIn('c-a', `/api/v1/namespaces/${run}-b1/configmaps`, 'namespace'),
        [`${run}-b1`],
      );
    } finally {
      await shared.stop();
    }
  });
});
