import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { kubeApiOver, type CoreV1Calls } from './client-node-api.ts';
import { KubernetesApiError } from './errors.ts';

const TOKEN = 'sha256~a-bearer-token-that-must-not-leak';

/** A CoreV1Api whose every call fails with `error`. */
function failingCore(error: unknown): CoreV1Calls {
  const fail = () => Promise.reject(error);
  return {
    listNamespace: fail,
    readNamespacedSecret: fail,
    createNamespacedSecret: fail,
    replaceNamespacedSecret: fail,
    readNamespacedServiceAccount: fail,
    listNamespacedServiceAccount: fail,
    patchNamespacedServiceAccount: fail,
  } as unknown as CoreV1Calls;
}

function apiException(code: number, body: unknown): ApiException<unknown> {
  return new ApiException(code, 'Unknown API Status Code!', body, { authorization: `Bearer ${TOKEN}`, 'audit-id': 'x' });
}

describe('k8s/client-node-api', () => {
  it('keeps method, path, status and Status reason of a refused request, and no header', async () => {
    const body = JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'secrets "x" is forbidden: User "u" cannot create resource "secrets"', code: 403 });
    const api = kubeApiOver(failingCore(apiException(403, body)), 'prod');
    const error = await api.createSecret('team-a', {}).then(() => undefined, (caught: unknown) => caught);
    assert.ok(error instanceof KubernetesApiError);
    assert.deepEqual([error.method, error.path, error.status, error.reason, error.code], ['POST', '/api/v1/namespaces/team-a/secrets', 403, 'Forbidden', 'ERR_K8S_API']);
    assert.match(error.message, /^POST \/api\/v1\/namespaces\/team-a\/secrets: HTTP 403 Forbidden: secrets "x" is forbidden/);
    assert.equal(error.retryable, false);
    assert.ok(!JSON.stringify({ message: error.message, cause: error.cause }).includes(TOKEN));
  });

  it('answers undefined for a Secret or ServiceAccount that does not exist', async () => {
    const api = kubeApiOver(failingCore(apiException(404, '{"kind":"Status","reason":"NotFound"}')), 'prod');
    assert.equal(await api.readSecret('team-a', 'x'), undefined);
    assert.equal(await api.readServiceAccount('team-a', 'default'), undefined);
  });

  it('marks a conflict, a 5xx and a missing answer as retryable', async () => {
    for (const error of [apiException(409, '{"reason":"Conflict"}'), apiException(503, 'upstream down'), new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })]) {
      const failure = await kubeApiOver(failingCore(error), 'prod').replaceSecret('a', 'b', {}).then(() => undefined, (caught: unknown) => caught);
      assert.ok(failure instanceof KubernetesApiError);
      assert.equal(failure.retryable, true, failure.message);
    }
  });

  it('names the network failure when no answer came', async () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    await assert.rejects(kubeApiOver(failingCore(error), 'prod').listNamespaces(), /GET \/api\/v1\/namespaces: no answer from the API server \(ECONNREFUSED\)/);
  });

  it('pages through namespaces with the continue token', async () => {
    const pages = [
      { items: [{ metadata: { name: 'a', labels: { x: '1' } }, status: { phase: 'Active' } }], metadata: { _continue: 'next-page' } },
      { items: [{ metadata: { name: 'b' } }], metadata: {} },
    ];
    const seen: Array<string | undefined> = [];
    const core = { listNamespace: async (param: { _continue?: string }) => (seen.push(param._continue), pages.shift()) } as unknown as CoreV1Calls;
    const namespaces = await kubeApiOver(core, 'prod').listNamespaces();
    assert.deepEqual(namespaces.map((namespace) => namespace.name), ['a', 'b']);
    assert.deepEqual(seen, [undefined, 'next-page']);
  });
  it('lists one page of each collection it serves, with selectors, limit and continue token', async () => {
    const calls: string[] = [];
    const answer = (call: string) => async (param: Record<string, unknown>) => (calls.push(`${call} ${JSON.stringify(param)}`), { items: [{ metadata: { name: 'x' } }], metadata: { _continue: '' } });
    const core = {
      listNamespace: answer('listNamespace'),
      listSecretForAllNamespaces: answer('listSecretForAllNamespaces'),
      listNamespacedSecret: answer('listNamespacedSecret'),
      listServiceAccountForAllNamespaces: answer('listServiceAccountForAllNamespaces'),
      listNamespacedServiceAccount: answer('listNamespacedServiceAccount'),
    } as unknown as CoreV1Calls;
    const api = kubeApiOver(core, 'prod');
    const page = await api.listPage({ path: '/api/v1/secrets', fieldSelector: 'metadata.name=ecr', limit: 1000 }, 'token');
    assert.deepEqual(page, { items: [{ metadata: { name: 'x' } }], continue: undefined });
    await api.listPage({ path: '/api/v1/namespaces', labelSelector: 'team=a', limit: 2000 });
    await api.listPage({ path: '/api/v1/serviceaccounts', limit: 5 });
    await api.listPage({ path: '/api/v1/namespaces/team-a/secrets', limit: 5 });
    await api.listPage({ path: '/api/v1/namespaces/team-a/serviceaccounts', limit: 5 });
    assert.deepEqual(calls, [
      'listSecretForAllNamespaces {"limit":1000,"fieldSelector":"metadata.name=ecr","_continue":"token"}',
      'listNamespace {"limit":2000,"labelSelector":"team=a"}',
      'listServiceAccountForAllNamespaces {"limit":5}',
      'listNamespacedSecret {"limit":5,"namespace":"team-a"}',
      'listNamespacedServiceAccount {"limit":5,"namespace":"team-a"}',
    ]);
    await assert.rejects(api.listPage({ path: '/api/v1/configmaps', limit: 5 }), /does not list \/api\/v1\/configmaps/);
  });
});
