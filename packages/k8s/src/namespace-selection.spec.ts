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
    it(`${expected ? 'matches' : 'does not match'} ${name} against ${pattern}`, () => assert.equal(matchesGlob(name, pattern), expected));
  }

  it('needs no namespace listing for plain names, so a namespaced Role suffices', async () => {
    const api = new FakeKubeApi();
    assert.equal(needsNamespaceList({ namespaces: ['a', 'b'], excludeNamespaces: [] }), false);
    assert.deepEqual(await resolveNamespaces(api, { namespaces: ['b', 'a', 'a'], excludeNamespaces: ['b'] }, 'default'), ['a']);
    assert.equal(api.count('list'), 0);
  });

  it('serves every namespace matching a selector when only a selector is given', async () => {
    const api = new FakeKubeApi();
    api.addNamespace('one', { env: 'prod' });
    api.addNamespace('two', { env: 'test' });
    assert.deepEqual(await resolveNamespaces(api, { namespaces: [], namespaceSelector: 'env=prod', excludeNamespaces: [] }, 'default'), ['one']);
  });
});
