import assert from 'node:assert/strict';
import { httpRequest } from '../http-request.ts';
import { startRancher1, type Rancher1, type Rancher1Key } from './rancher1.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('test peer: Rancher 1.x API server', () => {
  let rancher: Rancher1;
  before(async () => {
    rancher = await startRancher1({ defaultPageSize: 3, maxPageSize: 5 });
  });
  after(async () => rancher.stop());
  beforeEach(() => rancher.reset());

  async function call(key: Rancher1Key | undefined, method: string, path: string, body?: object): Promise<{ status: number; body: Record<string, any> }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers.authorization = `Basic ${Buffer.from(`${key.accessKey}:${key.secretKey}`).toString('base64')}`;
    const response = await httpRequest(`${rancher.origin}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: JSON.parse(response.body) as Record<string, any> };
  }

  it('answers 401 with a Cattle error body without a key, for an unknown key and for a wrong secret', async () => {
    const { key } = rancher.createEnvironment('Default');
    for (const caller of [undefined, { accessKey: 'NOPE', secretKey: 'x' }, { accessKey: key.accessKey, secretKey: 'wrong' }]) {
      const answer = await call(caller, 'GET', '/v2-beta/projects');
      assert.deepEqual([answer.status, answer.body.type, answer.body.status, answer.body.code], [401, 'error', 401, 'Unauthorized']);
    }
  });

  it('scopes an environment key to its environment, with or without /projects/<id>', async () => {
    const own = rancher.createEnvironment('own');
    const other = rancher.createEnvironment('other');
    rancher.addRegistry(own.id, HOST);
    const projects = await call(own.key, 'GET', '/v2-beta/projects');
    assert.deepEqual(projects.body.data.map((project: { id: string }) => project.id), [own.id]);
    assert.equal((await call(own.key, 'GET', '/v2-beta/registries')).body.data.length, 1);
    assert.equal((await call(own.key, 'GET', `/v2-beta/projects/${own.id}/registries`)).body.data.length, 1);
    assert.equal((await call(own.key, 'GET', `/v2-beta/projects/${other.id}/registries`)).status, 404);
  });

  it('gives account keys the rights of their role: owner and member write, readonly only reads', async () => {
    const environment = rancher.createEnvironment('team');
    const reader = rancher.createAccountKey({ [environment.id]: 'readonly' });
    const member = rancher.createAccountKey({ [environment.id]: 'member' });
    const path = `/v2-beta/projects/${environment.id}/registries`;
    assert.equal((await call(reader, 'GET', path)).status, 200);
    assert.deepEqual([(await call(reader, 'POST', path, { serverAddress: HOST })).status, rancher.stored(environment.id, 'registry').length], [405, 0]);
    assert.equal((await call(member, 'POST', path, { serverAddress: HOST })).status, 201);
    assert.equal((await call(member, 'GET', '/v2-beta/registries')).body.data.length, 0, 'outside a project an account key sees its user account');
  });

  it('pages collections through pagination.next, honouring limit up to the maximum', async () => {
    const environment = rancher.createEnvironment('paged');
    for (let index = 0; index < 7; index += 1) rancher.addRegistry(environment.id, `r${index}.example.com`);
    const seen: string[] = [];
    let next: string | null = `/v2-beta/projects/${environment.id}/registries`;
    while (next !== null) {
      const page = await call(environment.key, 'GET', next.replace(rancher.origin, ''));
      assert.ok(page.body.data.length <= 3);
      seen.push(...page.body.data.map((registry: { serverAddress: string }) => registry.serverAddress));
      next = page.body.pagination.next;
    }
    assert.equal(seen.length, 7);
    assert.equal((await call(environment.key, 'GET', `/v2-beta/projects/${environment.id}/registries?limit=50`)).body.data.length, 5);
  });

  it('ignores filters on serverAddress, unknown fields and unknown modifiers, and applies column filters', async () => {
    const environment = rancher.createEnvironment('filters');
    const ecr = rancher.addRegistry(environment.id, HOST);
    const hub = rancher.addRegistry(environment.id, 'docker.io');
    rancher.addCredential(environment.id, ecr.id, { publicValue: 'AWS' });
    rancher.addCredential(environment.id, hub.id, { publicValue: 'me' });
    const base = `/v2-beta/projects/${environment.id}`;
    for (const query of [`serverAddress=${HOST}`, 'colour=blue', 'state_sometimes=active']) {
      assert.equal((await call(environment.key, 'GET', `${base}/registries?${query}`)).body.data.length, 2, query);
    }
    const filtered = await call(environment.key, 'GET', `${base}/registrycredentials?registryId=${ecr.id}`);
    assert.deepEqual(filtered.body.data.map((credential: { registryId: string }) => credential.registryId), [ecr.id]);
    assert.equal((await call(environment.key, 'GET', `${base}/registrycredentials?publicValue_ne=AWS`)).body.data.length, 1);
  });

  it('validates creates like Cattle: MissingRequired, ServerAddressUsed in one environment (any case), InvalidReference', async () => {
    const environment = rancher.createEnvironment('validation');
    const other = rancher.createEnvironment('elsewhere');
    const base = `/v2-beta/projects/${environment.id}`;
    const missing = await call(environment.key, 'POST', `${base}/registries`, {});
    assert.deepEqual([missing.status, missing.body.code, missing.body.fieldName], [422, 'MissingRequired', 'serverAddress']);
    assert.equal((await call(environment.key, 'POST', `${base}/registries`, { serverAddress: HOST })).status, 201);
    const used = await call(environment.key, 'POST', `${base}/registries`, { serverAddress: HOST.toUpperCase() });
    assert.deepEqual([used.status, used.body.code], [400, 'ServerAddressUsed']);
    assert.equal((await call(other.key, 'POST', '/v2-beta/registries', { serverAddress: HOST })).status, 201, 'another environment may use it');
    const dangling = await call(environment.key, 'POST', `${base}/registrycredentials`, { registryId: '1sp999999' });
    assert.deepEqual([dangling.status, dangling.body.code], [422, 'InvalidReference']);
  });

  it('never returns secretValue, and requires email on v1 only', async () => {
    const environment = rancher.createEnvironment('secrets');
    const registry = rancher.addRegistry(environment.id, HOST);
    const v1 = await call(environment.key, 'POST', '/v1/registrycredentials', { registryId: registry.id, publicValue: 'AWS', secretValue: 'pw-123456' });
    assert.deepEqual([v1.status, v1.body.code, v1.body.fieldName], [422, 'MissingRequired', 'email']);
    const created = await call(environment.key, 'POST', '/v2-beta/registrycredentials', { registryId: registry.id, publicValue: 'AWS', secretValue: 'pw-123456' });
    assert.equal(created.status, 201);
    assert.equal('secretValue' in created.body, false, 'write-only: absent from every answer');
    assert.equal('email' in created.body, false);
    const read = await call(environment.key, 'GET', `/v1/registrycredentials/${created.body.id}`);
    assert.deepEqual(['secretValue' in read.body, read.body.email], [false, null]);
    assert.equal(rancher.stored(environment.id, 'registryCredential')[0]?.fields.secretValue, 'pw-123456');
  });

  it('runs the state machine: registering then active, remove only once inactive, purge removes the credentials', async () => {
    const environment = rancher.createEnvironment('states');
    const base = `/v2-beta/projects/${environment.id}`;
    const created = await call(environment.key, 'POST', `${base}/registries`, { serverAddress: HOST });
    assert.deepEqual([created.body.state, created.body.transitioning], ['registering', 'yes']);
    const registry = await call(environment.key, 'GET', `${base}/registries/${created.body.id}`);
    assert.equal(registry.body.state, 'active');
    assert.deepEqual(Object.keys(registry.body.actions), ['deactivate']);
    const credential = await call(environment.key, 'POST', `${base}/registrycredentials`, { registryId: created.body.id, secretValue: 'pw-123456' });
    const early = await call(environment.key, 'DELETE', `${base}/registries/${created.body.id}`);
    assert.deepEqual([early.status, early.body.code], [422, 'ActionNotAvailable']);
    await call(environment.key, 'POST', `${base}/registries/${created.body.id}?action=deactivate`);
    assert.equal((await call(environment.key, 'DELETE', `${base}/registries/${created.body.id}`)).body.state, 'removed');
    assert.equal((await call(environment.key, 'GET', `${base}/registries`)).body.data.length, 0, 'removed: not listed');
    assert.equal((await call(environment.key, 'GET', `${base}/registries/${created.body.id}`)).body.state, 'removed', 'but readable by id');
    assert.equal((await call(environment.key, 'GET', `${base}/registrycredentials/${credential.body.id}`)).body.state, 'active');
    await call(environment.key, 'POST', `${base}/registries/${created.body.id}?action=purge`);
    assert.equal((await call(environment.key, 'GET', `${base}/registrycredentials/${credential.body.id}`)).body.state, 'removed');
    assert.equal((await call(environment.key, 'POST', `${base}/registries`, { serverAddress: HOST })).status, 201, 'the address is free again');
  });

  it('updates only updatable fields in place', async () => {
    const environment = rancher.createEnvironment('updates');
    const registry = rancher.addRegistry(environment.id, HOST);
    const credential = rancher.addCredential(environment.id, registry.id, { publicValue: 'old', secretValue: 'old-password' });
    const base = `/v2-beta/projects/${environment.id}`;
    const updated = await call(environment.key, 'PUT', `${base}/registrycredentials/${credential.id}`, { publicValue: 'AWS', secretValue: 'new-password', registryId: '1sp1' });
    assert.deepEqual([updated.status, updated.body.id, updated.body.state, 'secretValue' in updated.body], [200, credential.id, 'updating-active', false]);
    assert.deepEqual(rancher.stored(environment.id, 'registryCredential')[0]?.fields, { publicValue: 'AWS', secretValue: 'new-password', registryId: registry.id });
    await call(environment.key, 'PUT', `${base}/registries/${registry.id}`, { serverAddress: 'elsewhere.example.com' });
    assert.equal(rancher.stored(environment.id, 'registry')[0]?.fields.serverAddress, HOST);
  });

  it('answers which credential a pull would use: the active registry of the host (any case), its active credential with the lowest id', async () => {
    const environment = rancher.createEnvironment('pulls');
    const image = `${HOST}/app:1`;
    const inactive = rancher.addRegistry(environment.id, HOST, 'inactive');
    rancher.addCredential(environment.id, inactive.id, { secretValue: 'unused' });
    assert.equal(rancher.pullCredential(environment.id, image), undefined);
    const registry = rancher.addRegistry(environment.id, HOST.toUpperCase());
    rancher.addCredential(environment.id, registry.id, { secretValue: 'deactivated' }, 'inactive');
    const used = rancher.addCredential(environment.id, registry.id, { secretValue: 'first-active' });
    rancher.addCredential(environment.id, registry.id, { secretValue: 'second-active' });
    assert.equal(rancher.pullCredential(environment.id, image)?.credentialId, used.id);
    const answer = await httpRequest(`${rancher.origin}/test-api/pull-credential?projectId=${environment.id}&image=${encodeURIComponent(image)}`);
    assert.equal(JSON.parse(answer.body).secretValue, 'first-active');
  });

  it('serves schemas: email on v1 only, and no write methods for a read-only key', async () => {
    const environment = rancher.createEnvironment('schemas');
    const reader = rancher.createAccountKey({ [environment.id]: 'readonly' });
    const v1 = await call(environment.key, 'GET', '/v1/schemas/registrycredential');
    const v2 = await call(environment.key, 'GET', '/v2-beta/schemas/registrycredential');
    assert.equal(v1.body.resourceFields.email.required, true);
    assert.equal(v2.body.resourceFields.email, undefined);
    assert.equal(v2.body.resourceFields.secretValue.type, 'password');
    assert.deepEqual((await call(reader, 'GET', '/v2-beta/schemas/registry')).body.collectionMethods, ['GET']);
  });

  it('fails injected requests, then answers normally', async () => {
    const environment = rancher.createEnvironment('faults');
    rancher.injectFault({ times: 1, status: 503, pathIncludes: '/projects' });
    assert.equal((await call(environment.key, 'GET', '/v2-beta/projects')).status, 503);
    assert.equal((await call(environment.key, 'GET', '/v2-beta/projects')).status, 200);
  });
});
