import assert from 'node:assert/strict';
import { useCattle, type Cattle } from '../index.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('peers: the real Cattle (Rancher 1.6 API server)', function () {
  this.timeout(240_000);
  let cattle: Cattle;
  before(async () => {
    cattle = await useCattle();
  });

  it('runs Cattle v0.183.83 on loopback with access control on: no key and a wrong key get 401', async () => {
    assert.equal(cattle.version, 'v0.183.83');
    assert.match(cattle.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(
      (await cattle.request('GET', '/v2-beta/projects', undefined, { key: null })).status,
      401,
    );
    const wrong = await cattle.request('GET', '/v2-beta/projects', undefined, {
      key: { accessKey: cattle.adminKey.accessKey, secretKey: 'wrong-secret-key' },
    });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Basic realm=/);
  });

  it('gives each environment a key that reaches only its own environment', async () => {
    const [first, second] = await Promise.all([
      cattle.createEnvironment('peer-a'),
      cattle.createEnvironment('peer-b'),
    ]);
    const seen = await cattle.request('GET', '/v2-beta/projects', undefined, { key: first.key });
    assert.deepEqual(
      seen.body.data.map((project: { id: string }) => project.id),
      [first.id],
    );
    assert.equal(
      (
        await cattle.request('GET', `/v2-beta/projects/${second.id}/registries`, undefined, {
          key: first.key,
        })
      ).status,
      403,
    );
  });

  it('reads back from the database what the API never shows: the secretValue and the pull it serves', async () => {
    const environment = await cattle.createEnvironment('peer-db');
    const registry = await cattle.addRegistry(environment.id, HOST.toUpperCase());
    const credential = await cattle.addCredential(environment.id, registry.id, {
      publicValue: 'AWS',
      secretValue: 'peer-test-password',
    });
    const listed = await cattle.request(
      'GET',
      `/v2-beta/projects/${environment.id}/registrycredentials/${credential.id}`,
    );
    assert.equal(listed.body.secretValue, null, 'the API does not show it');
    assert.deepEqual(await cattle.pullCredential(environment.id, `${HOST}/app:1`), {
      registryId: registry.id,
      credentialId: credential.id,
      publicValue: 'AWS',
      secretValue: 'peer-test-password',
    });
    await cattle.act(environment.id, 'registries', registry.id, 'deactivate', 'inactive');
    assert.equal(
      await cattle.pullCredential(environment.id, `${HOST}/app:1`),
      undefined,
      'an inactive registry serves no pull',
    );
  });

  it('gives a user key the environments where it has a role, and refuses its writes where the role is read-only (405)', async () => {
    const [owned, readOnly] = await Promise.all([
      cattle.createEnvironment('peer-owned'),
      cattle.createEnvironment('peer-read-only'),
    ]);
    const key = await cattle.createUserKey({ [owned.id]: 'owner', [readOnly.id]: 'readonly' });
    const seen = await cattle.request('GET', '/v2-beta/projects', undefined, { key });
    assert.deepEqual(
      seen.body.data.map((project: { id: string }) => project.id).sort(),
      [owned.id, readOnly.id].sort(),
    );
    const refused = await cattle.request(
      'POST',
      `/v2-beta/projects/${readOnly.id}/registries`,
      { serverAddress: HOST },
      { key },
    );
    assert.equal(refused.status, 405);
  });
});
