import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubePki } from '../peers/kube/pki.ts';
import { startRancher1, useMoto, useRancher1, useTinyproxy, type Moto, type Rancher1, type Rancher1Environment, type Rancher1Key } from '../peers/index.ts';
import { DEAD_ENDPOINT, DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';

// moto answers GetAuthorizationToken with base64("AWS:<account>-auth-token").
const MOTO_PASSWORD = '123456789012-auth-token';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const IMAGE = `${HOST}/payments/api:1.4.2`;

interface Report {
  totals: Record<string, number>;
  ecrCalls: number;
  results: Array<{ target: string; action: string; reason: string | null; error: { code: string; message: string; retryable: boolean } | null }>;
}

function reportOf(run: CliRun): Report {
  assert.ok(run.stdout.trim().startsWith('{'), `no JSON report; status ${run.status}\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

function assertNoSecret(run: CliRun, secrets: readonly string[]): void {
  const printed = `${run.stdout}\n${run.stderr}`;
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]) {
      assert.ok(!printed.includes(form), `printed output contains a secret (${form.length} chars)`);
    }
  }
}

describe('e2e: ecr-refresh rancher1 against moto and the Rancher 1.x API test server', function () {
  this.timeout(90_000);
  let moto: Moto;
  let rancher: Rancher1;

  before(async () => {
    [moto, rancher] = await Promise.all([useMoto(), useRancher1()]);
  });
  beforeEach(async () => moto.reset());

  /** The variables a catalog container receives, for `key`, plus dummy AWS keys for moto. */
  const cattleEnv = (key: Rancher1Key, url = `${rancher.origin}/v2-beta`) => ({ ...DUMMY_AWS_ENV, CATTLE_URL: url, CATTLE_ACCESS_KEY: key.accessKey, CATTLE_SECRET_KEY: key.secretKey });
  const args = (...extra: string[]) => ['rancher1', '--registry', HOST, '--endpoint-url', moto.endpoint, '--output', 'json', ...extra];
  const writesBy = (key: Rancher1Key) => rancher.requests.filter((request) => request.accessKey === key.accessKey && request.method !== 'GET');
  /** A new environment with a registry for HOST holding an old password. */
  const environmentWithRegistry = (name: string, serverAddress = HOST): { environment: Rancher1Environment; registryId: string; credentialId: string } => {
    const environment = rancher.createEnvironment(name);
    const registry = rancher.addRegistry(environment.id, serverAddress);
    const credential = rancher.addCredential(environment.id, registry.id, { publicValue: 'AWS', secretValue: 'old-expired-password' });
    return { environment, registryId: registry.id, credentialId: credential.id };
  };

  it('in a fresh environment with --auto-create: creates the registry and a credential a pull then uses', async () => {
    const environment = rancher.createEnvironment('fresh');
    const run = await runCli(args('--auto-create'), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = reportOf(run);
    assert.deepEqual(report.results.map((result) => [result.target, result.action]), [[`fresh/${HOST}`, 'created']]);
    const pull = rancher.pullCredential(environment.id, IMAGE);
    assert.deepEqual({ user: pull?.publicValue, password: pull?.secretValue }, { user: 'AWS', password: MOTO_PASSWORD });
    assert.deepEqual(rancher.stored(environment.id, 'registry').map((registry) => [registry.fields.serverAddress, registry.state]), [[HOST, 'active']]);
    assertNoSecret(run, [MOTO_PASSWORD, environment.key.secretKey]);
  });

  it('updates the existing credential in place: same id, new password, and a pull uses it', async () => {
    const { environment, credentialId } = environmentWithRegistry('existing');
    const run = await runCli(args(), cattleEnv(environment.key, `${rancher.origin}/v2-beta/projects/${environment.id}/`));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'updated');
    const pull = rancher.pullCredential(environment.id, IMAGE);
    assert.equal(pull?.credentialId, credentialId);
    assert.equal(pull?.secretValue, MOTO_PASSWORD);
    assert.deepEqual(rancher.stored(environment.id, 'registryCredential').map((credential) => [credential.id, credential.state]), [[credentialId, 'active']]);
  });

  it('with an account key, serves two environments chosen by name, each reported on its own', async () => {
    const first = environmentWithRegistry('team-a');
    const second = environmentWithRegistry('team-b');
    const key = rancher.createAccountKey({ [first.environment.id]: 'owner', [second.environment.id]: 'member' });
    const run = await runCli(args('--environment', 'team-a', '--environment', 'TEAM-B'), cattleEnv(key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(reportOf(run).results.map((result) => [result.target, result.action]), [[`team-a/${HOST}`, 'updated'], [`team-b/${HOST}`, 'updated']]);
    assert.equal(reportOf(run).ecrCalls, 1);
    for (const { environment } of [first, second]) assert.equal(rancher.pullCredential(environment.id, IMAGE)?.secretValue, MOTO_PASSWORD);
  });

  it('with an account key and no --environment, serves every environment the key reaches and no other', async () => {
    const first = environmentWithRegistry('all-a');
    const second = environmentWithRegistry('all-b');
    const outside = environmentWithRegistry('all-outside');
    const key = rancher.createAccountKey({ [first.environment.id]: 'owner', [second.environment.id]: 'owner' });
    const run = await runCli(args(), cattleEnv(key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(reportOf(run).results.map((result) => result.target).sort(), [`all-a/${HOST}`, `all-b/${HOST}`]);
    assert.equal(rancher.pullCredential(outside.environment.id, IMAGE)?.secretValue, 'old-expired-password');
  });

  it('matches an upper-case serverAddress, which pulls use', async () => {
    const { environment, credentialId } = environmentWithRegistry('upper', HOST.toUpperCase());
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(rancher.pullCredential(environment.id, IMAGE), { registryId: rancher.stored(environment.id, 'registry')[0]?.id, credentialId, publicValue: 'AWS', secretValue: MOTO_PASSWORD });
  });

  it('updates a registry stored as https://host/ and says that pulls will not use it', async () => {
    const { environment, credentialId } = environmentWithRegistry('scheme', `https://${HOST}/`);
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.action, 'updated');
    assert.match(result?.reason ?? '', /stores server address "https:\/\/.*"; Rancher matches pulls against the bare host/);
    assert.equal(rancher.stored(environment.id, 'registryCredential').find((credential) => credential.id === credentialId)?.fields.secretValue, MOTO_PASSWORD);
    assert.equal(rancher.pullCredential(environment.id, IMAGE), undefined, 'Cattle compares the bare host: this registry serves no pull');
  });

  it('with several credentials, updates the one Rancher uses and warns', async () => {
    const { environment, registryId, credentialId } = environmentWithRegistry('several');
    rancher.addCredential(environment.id, registryId, { publicValue: 'someone', secretValue: 'other-password' });
    const run = await runCli(args('--log-format', 'json'), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stderr, /"level":"warn".*2 active credentials/);
    const pull = rancher.pullCredential(environment.id, IMAGE);
    assert.deepEqual([pull?.credentialId, pull?.secretValue], [credentialId, MOTO_PASSWORD]);
  });

  it('reports an inactive registry with the fix, and activates it with --activate', async () => {
    const environment = rancher.createEnvironment('inactive');
    const registry = rancher.addRegistry(environment.id, HOST, 'inactive');
    rancher.addCredential(environment.id, registry.id, { publicValue: 'AWS', secretValue: 'old-expired-password' });
    const refused = await runCli(args(), cattleEnv(environment.key));
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.equal(reportOf(refused).results[0]?.error?.code, 'ERR_RANCHER_REGISTRY_INACTIVE');
    assert.deepEqual(writesBy(environment.key), []);
    const activated = await runCli(args('--activate'), cattleEnv(environment.key));
    assert.equal(activated.status, 0, activated.stdout + activated.stderr);
    assert.equal(rancher.pullCredential(environment.id, IMAGE)?.secretValue, MOTO_PASSWORD);
  });

  it('reports a missing registry without --auto-create, naming the fix', async () => {
    const environment = rancher.createEnvironment('missing');
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 1);
    assert.match(reportOf(run).results[0]?.error?.message ?? '', /no registry with server address .* or run with --auto-create/);
    assert.deepEqual(writesBy(environment.key), []);
  });

  it('finds its registry among more registries than one page holds', async () => {
    const environment = rancher.createEnvironment('crowded');
    for (let index = 0; index < 130; index += 1) rancher.addRegistry(environment.id, `registry-${index}.example.com`);
    const registry = rancher.addRegistry(environment.id, HOST);
    const run = await runCli(args(), cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(reportOf(run).results[0]?.action, 'created', 'a credential for the registry on page 2');
    assert.equal(rancher.pullCredential(environment.id, IMAGE)?.registryId, registry.id);
    assert.ok(rancher.requests.some((request) => request.accessKey === environment.key.accessKey && request.path.includes('marker=')), 'the second page was read');
  });

  it('on the v1 API sends the email it requires', async () => {
    const { environment } = environmentWithRegistry('v1');
    const run = await runCli(args('--email', 'ops@example.com'), cattleEnv(environment.key, `${rancher.origin}/v1`));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(rancher.stored(environment.id, 'registryCredential')[0]?.fields.email, 'ops@example.com');
    const created = rancher.createEnvironment('v1-new');
    const auto = await runCli(args('--auto-create'), cattleEnv(created.key, `${rancher.origin}/v1`));
    assert.equal(auto.status, 0, auto.stdout + auto.stderr);
    assert.equal(rancher.pullCredential(created.id, IMAGE)?.secretValue, MOTO_PASSWORD);
  });

  it('makes no ECR call and no write when everything is fresh', async () => {
    const { environment } = environmentWithRegistry('fresh-twice');
    assert.equal((await runCli(args(), cattleEnv(environment.key))).status, 0);
    const before = writesBy(environment.key).length;
    // Nothing listens on the ECR endpoint of the second run: any ECR call would fail it.
    const run = await runCli(['rancher1', '--registry', HOST, '--endpoint-url', DEAD_ENDPOINT, '--output', 'json'], cattleEnv(environment.key));
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = reportOf(run);
    assert.deepEqual([report.results[0]?.action, report.ecrCalls], ['unchanged', 0]);
    assert.equal(writesBy(environment.key).length, before);
  });

  it('with a wrong secret key (401): exit 1, the key and environment named, no secret printed', async () => {
    const { environment } = environmentWithRegistry('wrong-key');
    const wrong = { accessKey: environment.key.accessKey, secretKey: `${environment.key.secretKey.slice(0, -4)}XXXX` };
    const run = await runCli(args('--log-level', 'trace', '--log-format', 'json'), cattleEnv(wrong, `${rancher.origin}/v2-beta/projects/${environment.id}`));
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.error?.code, 'ERR_RANCHER_AUTH');
    assert.match(result?.error?.message ?? '', new RegExp(`access key ${environment.key.accessKey} \\(HTTP 401.*environment ${environment.id}`));
    assertNoSecret(run, [wrong.secretKey, environment.key.secretKey]);
  });

  it('with the key of another environment: that environment is not found, nothing is written', async () => {
    const ours = environmentWithRegistry('ours');
    const theirs = environmentWithRegistry('theirs');
    const run = await runCli(args(), cattleEnv(ours.environment.key, `${rancher.origin}/v2-beta/projects/${theirs.environment.id}`));
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const [result] = reportOf(run).results;
    assert.equal(result?.error?.code, 'ERR_RANCHER_ENVIRONMENT');
    assert.match(result?.error?.message ?? '', /cannot reach it/);
    assert.equal(rancher.pullCredential(theirs.environment.id, IMAGE)?.secretValue, 'old-expired-password');
  });

  it('with a read-only account key: refused writes are reported as ERR_RANCHER_AUTH', async () => {
    const { environment } = environmentWithRegistry('read-only');
    const key = rancher.createAccountKey({ [environment.id]: 'readonly' });
    const run = await runCli(args('--environment', environment.id), cattleEnv(key));
    assert.equal(run.status, 1);
    assert.match(reportOf(run).results[0]?.error?.message ?? '', /may not do PUT .*HTTP 405/);
  });

  it('retries server errors that stop, and reports ones that never do', async () => {
    const { environment } = environmentWithRegistry('flaky');
    rancher.injectFault({ times: 2, status: 503, method: 'PUT', pathIncludes: `/projects/${environment.id}/` });
    const recovered = await runCli(args(), cattleEnv(environment.key));
    assert.equal(recovered.status, 0, recovered.stdout + recovered.stderr);
    assert.equal(rancher.pullCredential(environment.id, IMAGE)?.secretValue, MOTO_PASSWORD);

    const broken = environmentWithRegistry('broken');
    rancher.injectFault({ times: 100, status: 500, pathIncludes: `/projects/${broken.environment.id}/registries` });
    const failed = await runCli(args(), cattleEnv(broken.environment.key));
    assert.equal(failed.status, 1);
    const error = reportOf(failed).results[0]?.error;
    assert.deepEqual([error?.code, error?.retryable], ['ERR_RANCHER_API', true]);
    assert.match(error?.message ?? '', /HTTP 500.*after 4 attempts/);
  });

  it('rejects a URL without a scheme and keys with whitespace with exit 64, naming each input, before any request', async () => {
    const environment = rancher.createEnvironment('bad-input');
    const before = rancher.requests.length;
    const run = await runCli(args(), { ...DUMMY_AWS_ENV, CATTLE_URL: '127.0.0.1:8080/v1', CATTLE_ACCESS_KEY: `${environment.key.accessKey}\n`, CATTLE_SECRET_KEY: `${environment.key.secretKey} x` });
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(run.stderr, /url \(--url or CATTLE_URL\): expected an http\(s\) URL/);
    assert.match(run.stderr, /access-key \(--access-key or CATTLE_ACCESS_KEY\): must be the key alone/);
    assert.match(run.stderr, /secret-key \(--secret-key or CATTLE_SECRET_KEY\): must be the key alone/);
    assert.equal(rancher.requests.length, before);
    assertNoSecret(run, [environment.key.secretKey]);
  });

  it('reaches Rancher through HTTPS_PROXY', async () => {
    const proxy = await useTinyproxy();
    const { environment } = environmentWithRegistry('proxied');
    const run = await runCli(args(), { ...cattleEnv(environment.key), HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: new URL(moto.endpoint).host });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(await proxy.accessLog(), new RegExp(`CONNECT ${new URL(rancher.origin).host.replace(/\./g, '\\.')}`));
  });

  it("verifies Rancher's TLS certificate, trusting the CA given with --ca-file", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-tls-'));
    const pki = await createKubePki(dir);
    const secure = await startRancher1({ tls: { cert: await readFile(pki.serverCertPath, 'utf8'), key: await readFile(pki.serverKeyPath, 'utf8') } });
    try {
      const environment = secure.createEnvironment('tls');
      const registry = secure.addRegistry(environment.id, HOST);
      secure.addCredential(environment.id, registry.id, { publicValue: 'AWS', secretValue: 'old-expired-password' });
      const untrusted = await runCli(args(), cattleEnv(environment.key, `${secure.origin}/v2-beta`));
      assert.equal(untrusted.status, 1, untrusted.stdout + untrusted.stderr);
      const error = reportOf(untrusted).results[0]?.error;
      assert.equal(error?.code, 'ERR_RANCHER_TLS');
      assert.match(error?.message ?? '', /--ca-file/);
      assert.equal(secure.pullCredential(environment.id, IMAGE)?.secretValue, 'old-expired-password');
      const trusted = await runCli(args('--ca-file', pki.caPath), cattleEnv(environment.key, `${secure.origin}/v2-beta`));
      assert.equal(trusted.status, 0, trusted.stdout + trusted.stderr);
      assert.equal(secure.pullCredential(environment.id, IMAGE)?.secretValue, MOTO_PASSWORD);
    } finally {
      await secure.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unreadable --ca-file with exit 64', async () => {
    const environment = rancher.createEnvironment('no-ca');
    const run = await runCli(args('--ca-file', '/nonexistent/ca.pem'), cattleEnv(environment.key));
    assert.equal(run.status, 64);
    assert.match(run.stderr, /ca-file \(--ca-file\): cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });
});
