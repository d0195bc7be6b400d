import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  ConfigError,
  redactSecrets,
  RequestError,
  USER_AGENT,
  type TargetResult,
} from '@ecr-refresh/core';
import nock from 'nock';
import { applyContext } from './__fixtures__/apply-context.ts';
import { startScriptedServer, type ScriptedServer } from './__fixtures__/scripted-server.ts';
import { describeCredential } from './credential-record.ts';
import { createRancher1Sink } from './rancher1-sink.ts';
import type { Rancher1SinkOptions } from './options.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const SECRET_KEY = 'rancher-secret-key-for-unit-tests';
const PASSWORD = 'ecr-password-from-fixture-0123';
const ENV = { id: '1a5', name: 'Default', state: 'active' };
const BASE = '/v2-beta/projects/1a5';

function collection(data: object[], next?: string): object {
  return {
    type: 'collection',
    resourceType: 'x',
    data,
    pagination: next === undefined ? { partial: false } : { next, partial: true },
  };
}

function registry(id: string, serverAddress: string, state = 'active'): object {
  return { id, type: 'registry', kind: 'registry', serverAddress, state };
}

function credential(id: string, registryId: string, extra: object = {}): object {
  return {
    id,
    type: 'registryCredential',
    registryId,
    publicValue: 'AWS',
    state: 'active',
    description: null,
    ...extra,
  };
}

function only(results: TargetResult[]): TargetResult {
  assert.equal(results.length, 1, JSON.stringify(results));
  return results[0] as TargetResult;
}

describe('rancher1/rancher1-sink', () => {
  let rancher: ScriptedServer;
  beforeEach(async () => {
    rancher = await startScriptedServer();
  });
  afterEach(async function () {
    await rancher.close();
    if (this.currentTest?.state === 'passed') {
      assert.deepEqual(rancher.unexpected, [], 'requests nothing scripted');
      assert.deepEqual(rancher.unused(), [], 'scripted requests never made');
    }
  });

  const sinkFor = (options: Partial<Rancher1SinkOptions> = {}) =>
    createRancher1Sink({
      url: `${rancher.origin}/v2-beta`,
      accessKey: 'ENVKEY0001',
      secretKey: SECRET_KEY,
      retry: { limit: 2, baseDelayMs: 1 },
      ...options,
    });
  const ok = (body: object) => ({ status: 200, body });
  /** An environment with these registries and credentials, as one page each. */
  const environment = (registries: object[], credentials?: object[]) => {
    rancher.reply('GET /v2-beta/projects', ok(collection([ENV])));
    rancher.reply(`GET ${BASE}/registries`, ok(collection(registries)));
    if (credentials !== undefined)
      rancher.reply(`GET ${BASE}/registrycredentials`, ok(collection(credentials)));
  };
  const written = () => rancher.writes.map((write) => `${write.method} ${write.path}`);

  it('updates the credential in place with the ECR password and records its expiry in the description', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, ok(credential('1c7', '1sp3')));
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'updated', String(result.error?.message));
    assert.equal(result.target, `Default/${HOST}`);
    assert.deepEqual(written(), [`PUT ${BASE}/registrycredentials/1c7`]);
    const body = rancher.writes[0]?.body ?? {};
    assert.equal(body.publicValue, 'AWS');
    assert.equal(body.secretValue, PASSWORD);
    assert.equal(body.email, undefined, 'v2-beta has no email field');
    assert.equal(body.description, describeCredential(result.record ?? assert.fail('no record')));
  });

  it('leaves a credential whose recorded expiry is still fresh alone: no ECR call, no write', async () => {
    const now = new Date();
    const description = describeCredential({
      fetchedAt: now,
      expiresAt: new Date(now.getTime() + 12 * 3600_000),
    });
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3', { description })]);
    const context = applyContext([HOST], { now });
    const result = only(await sinkFor().apply(context));
    assert.equal(result.action, 'unchanged');
    assert.equal(context.fetches, 0);
    assert.deepEqual(written(), []);
  });

  it('refreshes a credential past its half-life', async () => {
    const now = new Date();
    const old = new Date(now.getTime() - 7 * 3600_000);
    environment(
      [registry('1sp3', HOST)],
      [
        credential('1c7', '1sp3', {
          description: describeCredential({
            fetchedAt: old,
            expiresAt: new Date(old.getTime() + 12 * 3600_000),
          }),
        }),
      ],
    );
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, ok(credential('1c7', '1sp3')));
    assert.equal(only(await sinkFor().apply(applyContext([HOST], { now }))).action, 'updated');
  });

  it('finds the registry on a later page, matching serverAddress case-insensitively in our code', async () => {
    rancher.reply('GET /v2-beta/projects', ok(collection([ENV])));
    rancher.reply(
      `GET ${BASE}/registries`,
      ok(
        collection(
          [registry('1sp1', 'docker.io')],
          `${rancher.origin}${BASE}/registries?marker=m2`,
        ),
      ),
    );
    rancher.reply(
      `GET ${BASE}/registries?marker=m2`,
      ok(collection([registry('1sp2', HOST.toUpperCase())])),
    );
    rancher.reply(
      `GET ${BASE}/registrycredentials`,
      ok(collection([credential('1c1', '1sp1'), credential('1c2', '1sp2')])),
    );
    rancher.reply(`PUT ${BASE}/registrycredentials/1c2`, ok(credential('1c2', '1sp2')));
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'updated', String(result.error?.message));
    assert.deepEqual(written(), [`PUT ${BASE}/registrycredentials/1c2`]);
  });

  it('follows pagination.next on our own origin even when Rancher names another host', async () => {
    rancher.reply('GET /v2-beta/projects', ok(collection([ENV])));
    rancher.reply(
      `GET ${BASE}/registries`,
      ok(collection([], `https://internal-name:8443${BASE}/registries?marker=m2`)),
    );
    rancher.reply(`GET ${BASE}/registries?marker=m2`, ok(collection([registry('1sp2', HOST)])));
    rancher.reply(`GET ${BASE}/registrycredentials`, ok(collection([credential('1c2', '1sp2')])));
    rancher.reply(`PUT ${BASE}/registrycredentials/1c2`, ok(credential('1c2', '1sp2')));
    assert.equal(only(await sinkFor().apply(applyContext([HOST]))).action, 'updated');
  });

  it('tolerates a serverAddress stored with https:// and a trailing slash, and says pulls will not use it', async () => {
    environment([registry('1sp4', `https://${HOST}/`)], [credential('1c8', '1sp4')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c8`, ok(credential('1c8', '1sp4')));
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'updated');
    assert.match(
      result.reason ?? '',
      /stores server address "https:\/\/.*\/"; Rancher matches pulls against the bare host/,
    );
  });

  it('with several active credentials, updates the one Rancher uses (lowest id) and says so', async () => {
    environment(
      [registry('1sp3', HOST)],
      [
        credential('1c12', '1sp3'),
        credential('1c9', '1sp3'),
        credential('1c2', '1sp3', { state: 'inactive' }),
      ],
    );
    rancher.reply(`PUT ${BASE}/registrycredentials/1c9`, ok(credential('1c9', '1sp3')));
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'updated');
    assert.match(
      result.reason ?? '',
      /2 active credentials \(1c9, 1c12\); Rancher uses the lowest id, so 1c9 is the one kept fresh/,
    );
  });

  it('with autoCreate, creates a bare-address registry beside one stored as https://host, which pulls never match', async () => {
    environment([registry('1sp4', `https://${HOST}`)], [credential('1c8', '1sp4')]);
    rancher.reply(`POST ${BASE}/registries`, {
      status: 201,
      body: registry('1sp40', HOST, 'registering'),
    });
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c41', '1sp40'),
    });
    const result = only(await sinkFor({ autoCreate: true }).apply(applyContext([HOST])));
    assert.equal(result.action, 'created', String(result.error?.message));
    assert.deepEqual(written(), [`POST ${BASE}/registries`, `POST ${BASE}/registrycredentials`]);
    assert.equal(rancher.writes[0]?.body.serverAddress, HOST);
    assert.match(
      result.reason ?? '',
      /registry 1sp4 stores server address "https:\/\/.*", which pulls never match; created one with address/,
    );
  });

  it('creates a new credential when the one it updated was removed meanwhile (Cattle answers that PUT with 200 and state removed)', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(
      `PUT ${BASE}/registrycredentials/1c7`,
      ok(credential('1c7', '1sp3', { state: 'removed' })),
    );
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c9', '1sp3', { state: 'registering' }),
    });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'created', String(result.error?.message));
    assert.deepEqual(written(), [
      `PUT ${BASE}/registrycredentials/1c7`,
      `POST ${BASE}/registrycredentials`,
    ]);
    assert.match(result.reason ?? '', /credential 1c7 was removed meanwhile: created 1c9/);
  });

  it('keeps the secretValue Cattle echoes in create and action answers out of its results', async () => {
    environment([registry('1sp3', HOST, 'inactive')], []);
    rancher.reply(`POST ${BASE}/registries/1sp3?action=activate`, {
      status: 202,
      body: { ...registry('1sp3', HOST, 'activating') },
    });
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c20', '1sp3', { state: 'registering', secretValue: PASSWORD }),
    });
    const results = await sinkFor({ activate: true }).apply(applyContext([HOST]));
    assert.equal(only(results).action, 'created', String(only(results).error?.message));
    assert.ok(
      !inspect(results, { depth: 10, showHidden: true }).includes(PASSWORD),
      'the echoed secretValue is in a result',
    );
  });

  it('creates a credential for a registry that has none', async () => {
    environment([registry('1sp3', HOST)], []);
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c20', '1sp3'),
    });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.action, 'created');
    assert.equal(rancher.writes[0]?.body.registryId, '1sp3');
  });

  it('reports a missing registry as failed with the fix, and writes nothing', async () => {
    environment([registry('1sp1', 'docker.io')]);
    const context = applyContext([HOST]);
    const result = only(await sinkFor().apply(context));
    assert.equal(result.action, 'failed');
    assert.equal(result.error?.code, 'ERR_RANCHER_REGISTRY_MISSING');
    assert.match(
      result.error?.message ?? '',
      /address 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com.*--auto-create/,
    );
    assert.equal(context.fetches, 0);
  });

  it('creates the registry and its credential with autoCreate', async () => {
    environment([]);
    rancher.reply(`POST ${BASE}/registries`, {
      status: 201,
      body: registry('1sp30', HOST, 'registering'),
    });
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c31', '1sp30'),
    });
    const result = only(await sinkFor({ autoCreate: true }).apply(applyContext([HOST])));
    assert.equal(result.action, 'created', String(result.error?.message));
    assert.equal(rancher.writes[0]?.body.serverAddress, HOST);
    assert.equal(rancher.writes[1]?.body.registryId, '1sp30');
  });

  it('uses the registry another run created meanwhile when Rancher answers ServerAddressUsed', async () => {
    rancher.reply('GET /v2-beta/projects', ok(collection([ENV])));
    rancher.reply(
      `GET ${BASE}/registries`,
      ok(collection([])),
      ok(collection([registry('1sp5', HOST)])),
    );
    rancher.reply(`POST ${BASE}/registries`, {
      status: 400,
      body: {
        type: 'error',
        status: 400,
        code: 'ServerAddressUsed',
        message: 'Server address already in use',
      },
    });
    rancher.reply(`POST ${BASE}/registrycredentials`, {
      status: 201,
      body: credential('1c31', '1sp5'),
    });
    const result = only(await sinkFor({ autoCreate: true }).apply(applyContext([HOST])));
    assert.equal(result.action, 'created', String(result.error?.message));
    assert.equal(rancher.writes[1]?.body.registryId, '1sp5');
  });

  it('reports an inactive registry without writing', async () => {
    environment([registry('1sp3', HOST, 'inactive')], [credential('1c7', '1sp3')]);
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.error?.code, 'ERR_RANCHER_REGISTRY_INACTIVE');
    assert.match(result.error?.message ?? '', /--activate/);
    assert.deepEqual(written(), []);
  });

  it('activates an inactive registry when asked, then updates its credential', async () => {
    environment([registry('1sp3', HOST, 'inactive')], [credential('1c7', '1sp3')]);
    rancher.reply(
      `POST ${BASE}/registries/1sp3?action=activate`,
      ok(registry('1sp3', HOST, 'activating')),
    );
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, ok(credential('1c7', '1sp3')));
    const result = only(await sinkFor({ activate: true }).apply(applyContext([HOST])));
    assert.equal(result.action, 'updated', String(result.error?.message));
    assert.deepEqual(written(), [
      `POST ${BASE}/registries/1sp3?action=activate`,
      `PUT ${BASE}/registrycredentials/1c7`,
    ]);
    assert.match(result.reason ?? '', /registry 1sp3 was inactive: activated/);
  });

  it('sends the email the v1 API requires', async () => {
    rancher.reply('GET /v1/projects', ok(collection([ENV])));
    rancher.reply('GET /v1/projects/1a5/registries', ok(collection([registry('1sp3', HOST)])));
    rancher.reply(
      'GET /v1/projects/1a5/registrycredentials',
      ok(collection([credential('1c7', '1sp3')])),
    );
    rancher.reply('PUT /v1/projects/1a5/registrycredentials/1c7', ok(credential('1c7', '1sp3')));
    const result = only(
      await sinkFor({ url: `${rancher.origin}/v1`, email: 'ops@example.com' }).apply(
        applyContext([HOST]),
      ),
    );
    assert.equal(result.action, 'updated', String(result.error?.message));
    assert.equal(rancher.writes[0]?.body.email, 'ops@example.com');
  });

  it('in a dry run reports what it would do and writes nothing', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    const result = only(await sinkFor().apply(applyContext([HOST], { dryRun: true })));
    assert.deepEqual(
      { action: result.action, dryRun: result.dryRun },
      { action: 'updated', dryRun: true },
    );
    assert.deepEqual(written(), []);
  });

  it('chooses environments by id or name with an account key, and fails an unknown one alone', async () => {
    rancher.reply(
      'GET /v2-beta/projects',
      ok(collection([ENV, { id: '1a9', name: 'Staging', state: 'active' }])),
    );
    rancher.reply(
      'GET /v2-beta/projects/1a9/registries',
      ok(collection([registry('1sp20', HOST)])),
    );
    rancher.reply(
      'GET /v2-beta/projects/1a9/registrycredentials',
      ok(collection([credential('1c30', '1sp20')])),
    );
    rancher.reply(
      'PUT /v2-beta/projects/1a9/registrycredentials/1c30',
      ok(credential('1c30', '1sp20')),
    );
    const results = await sinkFor({ environments: ['staging', 'Prod'] }).apply(
      applyContext([HOST]),
    );
    assert.deepEqual(
      results.map((result) => [result.target, result.action, result.error?.code]),
      [
        [`Staging/${HOST}`, 'updated', undefined],
        [`Prod/${HOST}`, 'failed', 'ERR_RANCHER_ENVIRONMENT'],
      ],
    );
    assert.match(
      results[1]?.error?.message ?? '',
      /access key ENVKEY0001 cannot reach it \(environments it can reach: Default \(1a5\), Staging \(1a9\)\)/,
    );
  });

  it('turns a 401 into ERR_RANCHER_AUTH naming the key and the environment, with no secret anywhere in the error', async () => {
    rancher.reply('GET /v2-beta/projects', {
      status: 401,
      body: { type: 'error', status: 401, code: 'Unauthorized', message: 'Unauthorized' },
    });
    const result = only(
      await sinkFor({ url: `${rancher.origin}/v2-beta/projects/1a5` }).apply(applyContext([HOST])),
    );
    assert.equal(result.error?.code, 'ERR_RANCHER_AUTH');
    assert.equal(result.target, `1a5/${HOST}`);
    assert.match(
      result.error?.message ?? '',
      /rejected access key ENVKEY0001 \(HTTP 401: Unauthorized: Unauthorized\) for environment 1a5/,
    );
    const everything = `${inspect(result.error, { depth: 10, showHidden: true })}\n${JSON.stringify(result.error)}`;
    const basic = Buffer.from(`ENVKEY0001:${SECRET_KEY}`).toString('base64');
    assert.ok(
      !everything.includes(SECRET_KEY) && !everything.includes(basic),
      'the error exposes the secret key',
    );
    assert.ok(
      !redactSecrets(`${SECRET_KEY} ${basic}`).includes(SECRET_KEY),
      'the secret key is registered for redaction',
    );
  });

  it('turns a 403 on a write into ERR_RANCHER_AUTH saying what kind of key is needed', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, {
      status: 403,
      body: { type: 'error', status: 403, code: 'Forbidden' },
    });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.error?.code, 'ERR_RANCHER_AUTH');
    assert.match(
      result.error?.message ?? '',
      /may not do PUT .* in environment Default \(HTTP 403: Forbidden\): use an environment API key/,
    );
  });

  it('retries 5xx answers with backoff and succeeds when Rancher recovers', async () => {
    rancher.reply(
      'GET /v2-beta/projects',
      { status: 503, body: 'Service Unavailable' },
      { status: 503 },
      ok(collection([ENV])),
    );
    rancher.reply(`GET ${BASE}/registries`, ok(collection([registry('1sp3', HOST)])));
    rancher.reply(`GET ${BASE}/registrycredentials`, ok(collection([credential('1c7', '1sp3')])));
    rancher.reply(
      `PUT ${BASE}/registrycredentials/1c7`,
      { status: 502 },
      ok(credential('1c7', '1sp3')),
    );
    assert.equal(only(await sinkFor().apply(applyContext([HOST]))).action, 'updated');
    assert.equal(rancher.writes.length, 2, 'the PUT was sent twice');
  });

  it('reports a 5xx that never stops as a retryable ERR_RANCHER_API with Cattle code and field', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, {
      status: 500,
      body: {
        type: 'error',
        status: 500,
        code: 'ServerError',
        message: 'boom',
        fieldName: 'secretValue',
      },
    });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.error?.code, 'ERR_RANCHER_API');
    assert.equal(result.error?.retryable, true);
    assert.match(
      result.error?.message ?? '',
      /HTTP 500: ServerError: boom \(field secretValue\) after 3 attempts/,
    );
  });

  it("waits for the Retry-After of a 429, by core's retry rule, and succeeds", async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(
      `PUT ${BASE}/registrycredentials/1c7`,
      { status: 429, headers: { 'retry-after': '0' } },
      ok(credential('1c7', '1sp3')),
    );
    assert.equal(
      only(await sinkFor({ retry: { limit: 2, baseDelayMs: 60_000 } }).apply(applyContext([HOST])))
        .action,
      'updated',
    );
    assert.equal(rancher.writes.length, 2, 'the PUT was sent twice');
  });

  it('does not wait for a Retry-After longer than 30 s: the answer is the failure, a RequestError of core', async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, {
      status: 503,
      headers: { 'retry-after': '120' },
    });
    const { error } = only(await sinkFor().apply(applyContext([HOST])));
    assert.ok(error instanceof RequestError, String(error));
    assert.deepEqual(
      [error.code, error.method, error.url, error.status, error.retryable],
      ['ERR_RANCHER_API', 'PUT', `${rancher.origin}${BASE}/registrycredentials/1c7`, 503, true],
    );
    assert.equal(rancher.writes.length, 1, 'the PUT was sent once');
  });

  it("does not retry a 501, which core's retry rule does not retry", async () => {
    environment([registry('1sp3', HOST)], [credential('1c7', '1sp3')]);
    rancher.reply(`PUT ${BASE}/registrycredentials/1c7`, { status: 501 });
    const { error } = only(await sinkFor().apply(applyContext([HOST])));
    assert.deepEqual([error?.code, error?.retryable], ['ERR_RANCHER_API', false]);
    assert.equal(rancher.writes.length, 1, 'the PUT was sent once');
  });

  it('turns resets into a retryable ERR_RANCHER_UNAVAILABLE after retrying them', async () => {
    rancher.reply('GET /v2-beta/projects', { reset: true });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.error?.code, 'ERR_RANCHER_UNAVAILABLE');
    assert.equal(result.error?.retryable, true);
    assert.match(result.error?.message ?? '', /failed with ECONNRESET after 3 attempts/);
  });

  it('turns timeouts into ERR_RANCHER_UNAVAILABLE', async () => {
    rancher.reply('GET /v2-beta/projects', { status: 200, body: collection([ENV]), delayMs: 300 });
    const result = only(
      await sinkFor({ timeoutMs: 50, retry: { limit: 0, baseDelayMs: 1 } }).apply(
        applyContext([HOST]),
      ),
    );
    assert.equal(result.error?.code, 'ERR_RANCHER_UNAVAILABLE');
    assert.match(result.error?.message ?? '', /ETIMEDOUT/);
  });

  it('does not follow a redirect, and names where it points', async () => {
    rancher.reply('GET /v2-beta/projects', {
      status: 301,
      body: '',
      headers: { location: 'https://rancher.example.com/v2-beta/projects' },
    });
    const result = only(await sinkFor().apply(applyContext([HOST])));
    assert.equal(result.error?.code, 'ERR_RANCHER_RESPONSE');
    assert.match(
      result.error?.message ?? '',
      /redirects to https:\/\/rancher\.example\.com\/v2-beta\/projects; give that URL instead/,
    );
  });

  it('rejects an answer that is not a Cattle collection', async () => {
    rancher.reply('GET /v2-beta/projects', { status: 200, body: '<html>login</html>' });
    assert.equal(
      only(await sinkFor().apply(applyContext([HOST]))).error?.code,
      'ERR_RANCHER_RESPONSE',
    );
  });

  it('sends User-Agent: ecr-refresh/<version> (issue 15)', async () => {
    // nock, not the scripted server: the header is what is asserted, on a GET (no body).
    nock('http://rancher.test')
      .get('/v2-beta/projects')
      .matchHeader('user-agent', USER_AGENT)
      .reply(200, collection([]));
    const results = await createRancher1Sink({
      url: 'http://rancher.test/v2-beta',
      accessKey: 'ENVKEY0001',
      secretKey: SECRET_KEY,
    }).apply(applyContext([HOST]));
    assert.deepEqual(results, []);
  });

  it('refuses invalid options with every problem at once', () => {
    assert.throws(
      () => createRancher1Sink({ url: 'rancher:8080', accessKey: '', secretKey: 'x y' }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 3,
    );
  });
});
