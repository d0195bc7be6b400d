import assert from 'node:assert/strict';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { matchesGlob, needsNamespaceList, resolveNamespaces } from './namespace-selection.ts';

describe('k8s/namespace-selection', () => {
  const cases: Array<[string, string, boolean]> = [
    ['team-a', 'team-*', true],
    ['team-a', 'team-?', true],
    ['team-ab', 'team-?', false],
    ['kube-system', '*-system', true],
    ['a.b', 'a?b', true],
    ['team-a', 'team-a', true],
    ['team-a', 'team', false],
  ];
  for (const [name, pattern, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${name} against ${pattern}`, () =>
      assert.equal(matchesGlob(name, pattern), expected));
  }

  it('needs no namespace listing for plain names, so a namespaced Role suffices', async () => {
    const api = new FakeKubeApi();
    assert.equal(needsNamespaceList({ namespaces: ['a', 'b'], excludeNamespaces: [] }), false);
    assert.deepEqual(
      await resolveNamespaces(
        api,
        { namespaces: ['b', 'a', 'a'], excludeNamespaces: ['b'] },
        'default',
      ),
      { served: ['a'], optedOut: [], unread: [] },
    );
    assert.equal(api.count('list'), 0);
  });

  it('leaves out a namespace labelled ecr-refresh/exclude=true from every selection: *, globs, selectors and names', async () => {
    const api = new FakeKubeApi();
    api.addNamespace('team-a', { env: 'prod' });
    api.addNamespace('team-b', { env: 'prod', 'ecr-refresh/exclude': 'true' });
    api.addNamespace('team-c', { env: 'prod', 'ecr-refresh/exclude': 'false' });
    const none = { optedOut: [], unread: [] };
    assert.deepEqual(
      await resolveNamespaces(api, { namespaces: ['*'], excludeNamespaces: [] }, 'default'),
      { served: ['team-a', 'team-c'], ...none },
    );
    assert.deepEqual(
      await resolveNamespaces(api, { namespaces: ['team-?'], excludeNamespaces: [] }, 'default'),
      { served: ['team-a', 'team-c'], ...none },
    );
    assert.deepEqual(
      await resolveNamespaces(
        api,
        { namespaces: [], namespaceSelector: 'env=prod', excludeNamespaces: [] },
        'default',
      ),
      { served: ['team-a', 'team-c'], ...none },
    );
    // Listed: the server leaves them out. Named: each is read, and the opted-out ones are reported.
    assert.deepEqual(
      api.requests.filter((request) => request.startsWith('list ')),
      [
        'list /api/v1/namespaces?labelSelector=ecr-refresh/exclude!=true',
        'list /api/v1/namespaces?labelSelector=ecr-refresh/exclude!=true',
        'list /api/v1/namespaces?labelSelector=env=prod,ecr-refresh/exclude!=true',
      ],
    );
    assert.deepEqual(
      await resolveNamespaces(
        api,
        { namespaces: ['team-a', 'team-b', 'missing'], excludeNamespaces: [] },
        'team-b',
      ),
      { served: ['missing', 'team-a'], optedOut: ['team-b'], unread: [] },
    );
    assert.deepEqual(
      await resolveNamespaces(api, { namespaces: [], excludeNamespaces: [] }, 'team-b'),
      { served: [], optedOut: ['team-b'], unread: [] },
    );
  });

  it('serves named namespaces as given when RBAC refuses reading them (an install from before the opt-out), and says why', async () => {
    const api = new FakeKubeApi();
    api.addNamespace('team-a', { 'ecr-refresh/exclude': 'true' });
    api.forbidden = ['get namespaces/'];
    const resolved = await resolveNamespaces(
      api,
      { namespaces: ['team-a', 'team-b'], excludeNamespaces: [] },
      'default',
    );
    assert.deepEqual([resolved.served, resolved.optedOut], [['team-a', 'team-b'], []]);
    assert.equal(resolved.labelsUnread?.status, 403);
  });

  it('serves no named namespace whose read fails otherwise (it might have opted out), and says which', async () => {
    const api = new FakeKubeApi();
    api.addNamespace('team-a');
    api.addNamespace('team-b');
    api.failNext = { verb: 'get', status: 401, reason: 'Unauthorized' };
    const resolved = await resolveNamespaces(
      api,
      { namespaces: ['team-a', 'team-b'], excludeNamespaces: [] },
      'default',
    );
    assert.deepEqual(
      [resolved.served, resolved.optedOut, resolved.labelsUnread],
      [['team-b'], [], undefined],
    );
    assert.deepEqual(
      resolved.unread.map(({ namespace, error }) => [
        namespace,
        (error as { status?: number }).status,
      ]),
      [['team-a', 401]],
    );
  });

  it('serves every namespace matching a selector when only a selector is given', async () => {
    const api = new FakeKubeApi();
    api.addNamespace('one', { env: 'prod' });
    api.addNamespace('two', { env: 'test' });
    assert.deepEqual(
      await resolveNamespaces(
        api,
        { namespaces: [], namespaceSelector: 'env=prod', excludeNamespaces: [] },
        'default',
      ),
      { served: ['one'], optedOut: [], unread: [] },
    );
  });
});
