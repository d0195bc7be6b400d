import assert from 'node:assert/strict';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { KubernetesApiError } from './errors.ts';
import { withExplainedFailures } from './explained-failures.ts';

const SERVER = 'https://rancher.example.test/k8s/clusters/c-m-abc12';
const FACTS = { server: SERVER, user: 'downstream' };

async function failureOf(run: () => Promise<unknown>): Promise<KubernetesApiError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof KubernetesApiError, String(error));
    return error;
  }
  assert.fail('no failure');
}

describe('k8s/explained-failures', () => {
  let fake: FakeKubeApi;
  beforeEach(() => {
    fake = new FakeKubeApi();
    fake.addNamespace('team-a');
  });

  it('names the server and the kubeconfig user a 401 came from, keeping the status and the target', async () => {
    fake.failNext = { verb: 'get', status: 401, reason: 'Unauthorized' };
    const error = await failureOf(() =>
      withExplainedFailures(fake, FACTS).readSecret('team-a', 'ecr-pull'),
    );
    assert.equal(
      error.message,
      `GET secrets/team-a/ecr-pull: HTTP 401 Unauthorized: ${SERVER} did not accept the credentials of kubeconfig user "downstream" (an expired, revoked or mistyped token?)`,
    );
    assert.deepEqual(
      [error.status, error.method, error.target, error.retryable],
      [401, 'GET', 'fake', false],
    );
  });

  it('says where to put the CA when the server certificate is not trusted, and that retrying will not help', async () => {
    fake.readSecret = async () => {
      throw new KubernetesApiError(
        'fake',
        { method: 'GET', path: '/api/v1/namespaces/team-a/secrets/x' },
        'GET /api/v1/namespaces/team-a/secrets/x: no answer from the API server (unable to verify the first certificate)',
      );
    };
    const error = await failureOf(() =>
      withExplainedFailures(fake, FACTS).readSecret('team-a', 'x'),
    );
    assert.match(
      error.message,
      new RegExp(
        `\\(unable to verify the first certificate\\): the TLS certificate of ${SERVER.replaceAll('.', '\\.')} is not trusted: .*certificate-authority-data.*NODE_EXTRA_CA_CERTS`,
      ),
    );
    // An untrusted certificate stays so until the CA is given: core's retry rule does not retry it.
    assert.equal(error.retryable, false);
  });

  it('names the server of a request, or a watch, that got no answer', async () => {
    const api = withExplainedFailures(fake, FACTS);
    fake.failConnections = 2;
    const query = { path: '/api/v1/namespaces' };
    assert.match(
      (await failureOf(() => api.listResourceVersion(query, new AbortController().signal))).message,
      new RegExp(`\\(ECONNREFUSED\\): server ${SERVER.replaceAll('.', '\\.')}$`),
    );
    const watching = async () => {
      for await (const event of api.watch(query, '1', new AbortController().signal))
        assert.fail(`unexpected ${event.type}`);
    };
    assert.match(
      (await failureOf(watching)).message,
      /\(ECONNREFUSED\): server https:\/\/rancher\.example\.test\/k8s\/clusters\/c-m-abc12$/,
    );
  });

  it('leaves other failures, and every answer, as they were', async () => {
    const api = withExplainedFailures(fake, FACTS);
    fake.failNext = { verb: 'get', status: 403, reason: 'Forbidden' };
    assert.equal(
      (await failureOf(() => api.readSecret('team-a', 'x'))).message,
      'GET secrets/team-a/x: HTTP 403 Forbidden',
    );
    assert.deepEqual(
      (await api.listNamespaces()).map((namespace) => namespace.name),
      ['team-a'],
    );
    assert.equal(await api.readSecret('team-a', 'x'), undefined);
  });
});
