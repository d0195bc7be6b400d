import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubePki } from '../peers/kube/pki.ts';
import {
  startFaultProxy,
  useCattle,
  useMoto,
  useTinyproxy,
  type Cattle,
  type CattleEnvironment,
  type CattleKey,
  type FaultProxy,
  type Moto,
} from '../peers/index.ts';
import { findLeaks } from '../support/leak-collector.ts';
import { DEAD_ENDPOINT, DUMMY_AWS_ENV, runCli, startCli, type CliRun } from '../support/run-cli.ts';

// moto answers GetAuthorizationToken with base64("AWS:<account>-auth-token").
const MOTO_PASSWORD = '123456789012-auth-token';
const OLD_PASSWORD = 'old-expired-password';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const IMAGE = `${HOST}/payments/api:1.4.2`;

interface Report {
  totals: Record<string, number>;
  ecrCalls: number;
  results: Array<{
    target: string;
    action: string;
    reason: string | null;
    error: { code: string; message: string; retryable: boolean } | null;
  }>;
}

function reportOf(run: CliRun): Report {
  assert.ok(
    run.stdout.trim().startsWith('{'),
    `no JSON report; status ${run.status}\n${run.stdout}\n${run.stderr}`,
  );
  return JSON.parse(run.stdout) as Report;
}

describe('e2e: ecr-refresh rancher1 against moto and the real Rancher 1.6 API server (Cattle v0.183.83)', function () {
  this.timeout(120_000);
  let moto: Moto;
  let cattle: Cattle;
  // Every run goes through this proxy (passing by default): it records the requests of a run and injects faults.
  let proxy: FaultProxy;

  before(async () => {
    [moto, cattle] = await Promise.all([useMoto(), useCattle()]);
    proxy = await startFaultProxy(cattle.origin);
  });
  after(async () => proxy?.stop());
  beforeEach(async () => moto.reset());
  afterEach(() => proxy.plan([]));

  /** The variables a catalog container receives, for `key`, plus dummy AWS keys for moto. */
  const cattleEnv = (key: CattleKey, url = `${proxy.url}/v2-beta`) => ({
    ...DUMMY_AWS_ENV,
    CATTLE_URL: url,
    CATTLE_ACCESS_KEY: key.accessKey,
    CATTLE_SECRET_KEY: key.secretKey,
  });
  const args = (...extra: string[]) => [
    'rancher1',
    '--registry',
    HOST,
    '--endpoint-url',
    moto.endpoint,
    '--output',
    'json',
    ...extra,
  ];
  /** Runs the CLI and returns it with the requests it made to Cattle. */
  const runCounted = async (cliArgs: string[], env: Record<string, string>) => {
    const from = proxy.requests.length;
    const run = await runCli(cliArgs, env);
    return { run, requests: proxy.requests.slice(from) };
  };
  const writesOf = (requests: ReadonlyArray<{ method: string; path: string }>) =>
    requests
      .filter((request) => request.method !== 'GET')
      .map((request) => `${request.method} ${request.path}`);
  const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2, 7)}`;
  /** A new environment with a registry for HOST holding an old password. */
  const environmentWithRegistry = async (
    name: string,
    serverAddress = HOST,
  ): Promise<{ environment: CattleEnvironment; registryId: string; credentialId: string }> => {
    const environment = await cattle.createEnvironment(name);
    const registry = await cattle.addRegistry(environment.id, serverAddress);
    const credential = await cattle.addCredential(environment.id, registry.id, {
      publicValue: 'AWS',
      secretValue: OLD_PASSWORD,
    });
    return { environment, registryId: registry.id, credentialId: credential.id };
  };

  it('in a fresh environment with --auto-create: creates the registry and a credential a pull then uses', async () => {
    const environment = await cattle.createEnvironment('fresh');
    const run = await runCli(args('--auto-create'), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(
      reportOf(run).results.map((result) => [result.target, result.action]),
      [[`fresh/${HOST}`, 'created']],
    );
    const pull = await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    assert.equal(pull.publicValue, 'AWS');
    assert.deepEqual(
      (await cattle.registries(environment.id)).map((registry) => [
        registry.serverAddress,
        registry.state,
      ]),
      [[HOST, 'active']],
    );
  });

  it('updates the existing credential in place: same id, new password, and a pull uses it', async () => {
    const { environment, credentialId } = await environmentWithRegistry('existing');
    const { run, requests } = await runCounted(
      args(),
      cattleEnv(environment.key, `${proxy.url}/v2-beta/projects/${environment.id}/`),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'updated');
    assert.equal(
      (await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD)).credentialId,
      credentialId,
    );
    assert.deepEqual(
      (await cattle.credentials(environment.id)).map((credential) => [
        credential.id,
        credential.state,
      ]),
      [[credentialId, 'active']],
    );
    assert.deepEqual(writesOf(requests), [
      `PUT /v2-beta/projects/${environment.id}/registrycredentials/${credentialId}`,
    ]);
  });

  it('with an account key, serves two environments chosen by name and by id, each reported on its own', async () => {
    const [first, second] = [
      await environmentWithRegistry(unique('team-a')),
      await environmentWithRegistry(unique('team-b')),
    ];
    const key = await cattle.createUserKey({
      [first.environment.id]: 'owner',
      [second.environment.id]: 'member',
    });
    const run = await runCli(
      args(
        '--environment',
        first.environment.name.toUpperCase(),
        '--environment',
        second.environment.id,
      ),
      cattleEnv(key),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(
      reportOf(run).results.map((result) => [result.target, result.action]),
      [
        [`${first.environment.name}/${HOST}`, 'updated'],
        [`${second.environment.name}/${HOST}`, 'updated'],
      ],
    );
    assert.equal(reportOf(run).ecrCalls, 1);
    for (const { environment } of [first, second])
      await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
  });

  it('with an account key and no --environment, serves every environment the key reaches and no other', async () => {
    const [first, second, outside] = [
      await environmentWithRegistry('all-a'),
      await environmentWithRegistry('all-b'),
      await environmentWithRegistry('all-outside'),
    ];
    const key = await cattle.createUserKey({
      [first.environment.id]: 'owner',
      [second.environment.id]: 'owner',
    });
    const run = await runCli(args(), cattleEnv(key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(
      reportOf(run)
        .results.map((result) => result.target)
        .sort(),
      [`all-a/${HOST}`, `all-b/${HOST}`],
    );
    assert.equal(
      (await cattle.pullCredential(outside.environment.id, IMAGE))?.secretValue,
      OLD_PASSWORD,
    );
  });

  it('on the v1 API with an account key, serves environments by id too', async () => {
    const { environment } = await environmentWithRegistry('v1-account');
    const key = await cattle.createUserKey({ [environment.id]: 'member' });
    const run = await runCli(
      args('--environment', environment.id),
      cattleEnv(key, `${proxy.url}/v1`),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
  });

  it('matches an upper-case serverAddress (stored as given), which pulls use', async () => {
    const { environment, registryId, credentialId } = await environmentWithRegistry(
      'upper',
      HOST.toUpperCase(),
    );
    assert.equal(
      (await cattle.registries(environment.id))[0]?.serverAddress,
      HOST.toUpperCase(),
      'Cattle keeps the case',
    );
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'updated');
    assert.deepEqual(await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD), {
      registryId,
      credentialId,
      publicValue: 'AWS',
      secretValue: MOTO_PASSWORD,
    });
  });

  it('updates a registry stored as https://host/ and says that pulls will not use it', async () => {
    const { environment, credentialId } = await environmentWithRegistry(
      'scheme',
      `https://${HOST}/`,
    );
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.action, 'updated');
    assert.match(
      result?.reason ?? '',
      /stores server address "https:\/\/.*"; Rancher matches pulls against the bare host/,
    );
    assert.equal(
      (await cattle.credentials(environment.id)).find(
        (credential) => credential.id === credentialId,
      )?.secretValue,
      MOTO_PASSWORD,
    );
    assert.equal(
      await cattle.pullCredential(environment.id, IMAGE),
      undefined,
      'Cattle compares the bare host: this registry serves no pull',
    );
  });

  it('with --auto-create beside a registry stored as https://host, creates the bare-address registry pulls use', async () => {
    const { environment, registryId } = await environmentWithRegistry(
      'scheme-auto',
      `https://${HOST}`,
    );
    const run = await runCli(args('--auto-create'), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.action, 'created');
    assert.match(result?.reason ?? '', /which pulls never match; created one with address/);
    const pull = await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    assert.notEqual(pull.registryId, registryId);
    assert.equal(
      (await cattle.credentials(environment.id)).find(
        (credential) => credential.registryId === registryId,
      )?.secretValue,
      OLD_PASSWORD,
      'the https:// one is left alone',
    );
  });

  it('with several credentials, updates the one Rancher uses and warns', async () => {
    const { environment, registryId, credentialId } = await environmentWithRegistry('several');
    await cattle.addCredential(environment.id, registryId, {
      publicValue: 'someone',
      secretValue: 'other-password',
    });
    const run = await runCli(args('--log-format', 'json'), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stderr, /"level":"warn".*2 active credentials/);
    assert.equal(
      (await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD)).credentialId,
      credentialId,
    );
  });

  it('reports a deactivated registry with the fix, and activates it with --activate', async () => {
    const environment = await cattle.createEnvironment('inactive');
    const registry = await cattle.addRegistry(environment.id, HOST, 'inactive');
    await cattle.addCredential(environment.id, registry.id, {
      publicValue: 'AWS',
      secretValue: OLD_PASSWORD,
    });
    const refused = await runCounted(args(), cattleEnv(environment.key));
    assert.equal(refused.run.status, 1, refused.run.stdout + refused.run.stderr);
    assert.equal(reportOf(refused.run).results[0]?.error?.code, 'ERR_RANCHER_REGISTRY_INACTIVE');
    assert.deepEqual(writesOf(refused.requests), []);
    const activated = await runCli(args('--activate'), cattleEnv(environment.key));
    assert.equal(activated.status, 0, activated.stdout + activated.stderr);
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
  });

  it('reports a missing registry without --auto-create, naming the fix', async () => {
    const environment = await cattle.createEnvironment('missing');
    const { run, requests } = await runCounted(args(), cattleEnv(environment.key));
    assert.equal(run.status, 1);
    assert.match(
      reportOf(run).results[0]?.error?.message ?? '',
      /no registry with server address .* or run with --auto-create/,
    );
    assert.deepEqual(writesOf(requests), []);
  });

  it('creates a new credential when the old one was removed (removed credentials are hidden from lists)', async () => {
    const { environment, registryId, credentialId } = await environmentWithRegistry('removed');
    await cattle.act(environment.id, 'registrycredentials', credentialId, 'remove', 'removed');
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'created');
    const pull = await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    assert.deepEqual([pull.registryId, pull.credentialId !== credentialId], [registryId, true]);
  });

  it('creates a new credential when the one it updates is removed meanwhile (Cattle answers that PUT 200, state removed)', async () => {
    const { environment, credentialId } = await environmentWithRegistry('removed-meanwhile');
    const from = proxy.requests.length;
    // The PUT waits 6 s in the proxy; the credential is removed while it waits.
    proxy.plan([{ kind: 'delay', ms: 6000 }], { matching: /\/registrycredentials\/1c\d+/ });
    const running = startCli(args(), cattleEnv(environment.key));
    const deadline = Date.now() + 20_000;
    while (
      !proxy.requests.slice(from).some((request) => request.method === 'PUT') &&
      Date.now() < deadline
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    await cattle.act(environment.id, 'registrycredentials', credentialId, 'remove', 'removed');
    const run = await running.exited;
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.action, 'created');
    assert.match(
      result?.reason ?? '',
      new RegExp(`credential ${credentialId} was removed meanwhile: created 1c\\d+`),
    );
    const removed = (await cattle.credentials(environment.id)).find(
      (credential) => credential.id === credentialId,
    );
    assert.deepEqual(
      [removed?.state, removed?.secretValue],
      ['removed', MOTO_PASSWORD],
      'Cattle stored the secret on the removed credential',
    );
    assert.notEqual(
      (await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD)).credentialId,
      credentialId,
    );
  });

  it('finds its registry among more registries than one page holds (Cattle pages by 100)', async () => {
    const environment = await cattle.createEnvironment('crowded');
    for (let batch = 0; batch < 11; batch += 1) {
      await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          cattle.request('POST', `/v2-beta/projects/${environment.id}/registries`, {
            serverAddress: `registry-${batch * 10 + index}.example.com`,
          }),
        ),
      );
    }
    const registry = await cattle.addRegistry(environment.id, HOST);
    const { run, requests } = await runCounted(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(
      reportOf(run).results[0]?.action,
      'created',
      'a credential for the registry on page 2',
    );
    assert.equal(
      (await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD)).registryId,
      registry.id,
    );
    assert.ok(
      requests.some(
        (request) => request.path.includes('/registries?') && request.path.includes('marker='),
      ),
      'the second page was read',
    );
  });

  it('on the v1 API sends the email it requires, also when it creates the credential', async () => {
    const { environment } = await environmentWithRegistry('v1');
    const run = await runCli(
      args('--email', 'ops@example.com'),
      cattleEnv(environment.key, `${proxy.url}/v1`),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    assert.equal((await cattle.credentials(environment.id))[0]?.email, 'ops@example.com');
    const created = await cattle.createEnvironment('v1-new');
    const auto = await runCli(args('--auto-create'), cattleEnv(created.key, `${proxy.url}/v1`));
    assert.equal(auto.status, 0, auto.stdout + auto.stderr);
    await cattle.settledPull(created.id, IMAGE, MOTO_PASSWORD);
  });

  it('makes no ECR call and no write when everything is fresh', async () => {
    const { environment } = await environmentWithRegistry('fresh-twice');
    assert.equal((await runCli(args(), cattleEnv(environment.key))).status, 0);
    // Nothing listens on the ECR endpoint of the second run: any ECR call would fail it.
    const { run, requests } = await runCounted(
      ['rancher1', '--registry', HOST, '--endpoint-url', DEAD_ENDPOINT, '--output', 'json'],
      cattleEnv(environment.key),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = reportOf(run);
    assert.deepEqual([report.results[0]?.action, report.ecrCalls], ['unchanged', 0]);
    assert.deepEqual(writesOf(requests), []);
  });

  it('never prints the secretValue Cattle echoes in create (201) and action (202) answers, even at trace level', async () => {
    const environment = await cattle.createEnvironment('echo');
    await cattle.addRegistry(environment.id, HOST, 'inactive');
    const echoed = await cattle.request(
      'POST',
      `/v2-beta/projects/${environment.id}/registrycredentials`,
      {
        registryId: (await cattle.registries(environment.id))[0]?.id,
        publicValue: 'x',
        secretValue: 'probe-of-the-echo',
      },
    );
    assert.equal(echoed.body.secretValue, 'probe-of-the-echo', 'real Cattle echoes it on create');
    await cattle.act(
      environment.id,
      'registrycredentials',
      String(echoed.body.id),
      'remove',
      'removed',
    );
    const run = await runCli(
      args('--activate', '--log-level', 'trace', '--log-format', 'json'),
      cattleEnv(environment.key),
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'created');
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    const captures = [
      { source: 'stdout', text: run.stdout },
      { source: 'stderr', text: run.stderr },
    ];
    assert.deepEqual(findLeaks([MOTO_PASSWORD, environment.key.secretKey], captures), []);
  });

  it('with a wrong secret key (a real 401): exit 1, the key and environment named, no secret printed', async () => {
    const { environment } = await environmentWithRegistry('wrong-key');
    const wrong = {
      accessKey: environment.key.accessKey,
      secretKey: `${environment.key.secretKey.slice(0, -4)}XXXX`,
    };
    const run = await runCli(
      args('--log-level', 'trace', '--log-format', 'json'),
      cattleEnv(wrong, `${proxy.url}/v2-beta/projects/${environment.id}`),
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.error?.code, 'ERR_RANCHER_AUTH');
    assert.match(
      result?.error?.message ?? '',
      new RegExp(
        `access key ${environment.key.accessKey} \\(HTTP 401.*environment ${environment.id}`,
      ),
    );
  });

  it('with the key of another environment: that environment is not found, nothing is written', async () => {
    const ours = await environmentWithRegistry('ours');
    const theirs = await environmentWithRegistry('theirs');
    const run = await runCli(
      args(),
      cattleEnv(ours.environment.key, `${proxy.url}/v2-beta/projects/${theirs.environment.id}`),
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.error?.code, 'ERR_RANCHER_ENVIRONMENT');
    assert.match(result?.error?.message ?? '', /cannot reach it/);
    assert.equal(
      (await cattle.pullCredential(theirs.environment.id, IMAGE))?.secretValue,
      OLD_PASSWORD,
    );
  });

  it('with a read-only user key: the refused write (HTTP 405) is reported as ERR_RANCHER_AUTH', async () => {
    const { environment } = await environmentWithRegistry('read-only');
    const key = await cattle.createUserKey({ [environment.id]: 'readonly' });
    const run = await runCli(args('--environment', environment.id), cattleEnv(key));
    assert.equal(run.status, 1);
    assert.match(reportOf(run).results[0]?.error?.message ?? '', /may not do PUT .*HTTP 405/);
    assert.equal((await cattle.pullCredential(environment.id, IMAGE))?.secretValue, OLD_PASSWORD);
  });

  it('retries server errors that stop, and reports ones that never do', async () => {
    const { environment } = await environmentWithRegistry('flaky');
    proxy.plan(
      [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
      { matching: /\/registrycredentials\/1c\d+/ },
    );
    const recovered = await runCli(args(), cattleEnv(environment.key));
    assert.equal(recovered.status, 0, recovered.stdout + recovered.stderr);
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);

    const broken = await environmentWithRegistry('broken');
    proxy.plan([], {
      afterwards: {
        kind: 'status',
        status: 500,
        body: '{"type":"error","status":500,"code":"InjectedFault"}',
      },
      matching: /\/registries/,
    });
    const failed = await runCli(args(), cattleEnv(broken.environment.key));
    assert.equal(failed.status, 1);
    const error = reportOf(failed).results[0]?.error;
    assert.deepEqual([error?.code, error?.retryable], ['ERR_RANCHER_API', true]);
    assert.match(error?.message ?? '', /HTTP 500.*after 4 attempts/);
  });

  it('rejects a URL without a scheme and keys with whitespace with exit 64, naming each input, before any request', async () => {
    const environment = await cattle.createEnvironment('bad-input');
    const { run, requests } = await runCounted(args(), {
      ...DUMMY_AWS_ENV,
      CATTLE_URL: '127.0.0.1:8080/v1',
      CATTLE_ACCESS_KEY: `${environment.key.accessKey}\n`,
      CATTLE_SECRET_KEY: `${environment.key.secretKey} x`,
    });
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(run.stderr, /url \(--url or CATTLE_URL\): expected an http\(s\) URL/);
    assert.match(
      run.stderr,
      /access-key \(--access-key or CATTLE_ACCESS_KEY\): must be the key alone/,
    );
    assert.match(
      run.stderr,
      /secret-key \(--secret-key or CATTLE_SECRET_KEY\): must be the key alone/,
    );
    assert.deepEqual(requests, []);
  });

  it('reaches Rancher through HTTPS_PROXY', async () => {
    const tinyproxy = await useTinyproxy();
    const { environment } = await environmentWithRegistry('proxied');
    const run = await runCli(args(), {
      ...cattleEnv(environment.key, `${cattle.origin}/v2-beta`),
      HTTPS_PROXY: tinyproxy.url,
      HTTP_PROXY: tinyproxy.url,
      NO_PROXY: new URL(moto.endpoint).host,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(
      await tinyproxy.accessLog(),
      new RegExp(`CONNECT ${new URL(cattle.origin).host.replace(/\./g, '\\.')}`),
    );
    await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
  });

  it("verifies Rancher's TLS certificate (Cattle behind a TLS proxy), trusting the CA given with --ca-file", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-tls-'));
    const pki = await createKubePki(dir);
    const secure = await startFaultProxy(cattle.origin, {
      tls: {
        cert: await readFile(pki.serverCertPath, 'utf8'),
        key: await readFile(pki.serverKeyPath, 'utf8'),
      },
    });
    try {
      const { environment } = await environmentWithRegistry('tls');
      const untrusted = await runCli(args(), cattleEnv(environment.key, `${secure.url}/v2-beta`));
      assert.equal(untrusted.status, 1, untrusted.stdout + untrusted.stderr);
      const error = reportOf(untrusted).results[0]?.error;
      assert.equal(error?.code, 'ERR_RANCHER_TLS');
      assert.match(error?.message ?? '', /--ca-file/);
      assert.equal((await cattle.pullCredential(environment.id, IMAGE))?.secretValue, OLD_PASSWORD);
      const trusted = await runCli(
        args('--ca-file', pki.caPath),
        cattleEnv(environment.key, `${secure.url}/v2-beta`),
      );
      assert.equal(trusted.status, 0, trusted.stdout + trusted.stderr);
      await cattle.settledPull(environment.id, IMAGE, MOTO_PASSWORD);
    } finally {
      await secure.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unreadable --ca-file with exit 64', async () => {
    const environment = await cattle.createEnvironment('no-ca');
    const run = await runCli(args('--ca-file', '/nonexistent/ca.pem'), cattleEnv(environment.key));
    assert.equal(run.status, 64);
    assert.match(run.stderr, /ca-file \(--ca-file\): cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });
});
