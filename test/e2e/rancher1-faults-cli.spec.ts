import assert from 'node:assert/strict';
import {
  startFaultProxy,
  useCattle,
  useMoto,
  type Cattle,
  type CattleEnvironment,
  type Fault,
  type FaultProxy,
  type Moto,
} from '../peers/index.ts';
import { assertEndsInFailure } from '../support/persistent-fault.ts';
import { DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const IMAGE = `${HOST}/payments/api:1.4.2`;
const OLD_PASSWORD = 'old-but-still-valid-password';
// The credential update: the one write of a run, after the reads that find the registry.
const CREDENTIAL_WRITE = /\/registrycredentials?\//i;
const EVERY_REQUEST = /./;
// --timeout 2 and 3 retries with delays from 1 s: the slowest failure ends well within this.
const BOUND_MS = 45_000;

describe('e2e: ecr-refresh rancher1 against a failing Rancher (fault proxy in front of the real Cattle)', function () {
  this.timeout(180_000);
  let moto: Moto;
  let cattle: Cattle;
  let proxy: FaultProxy;

  before(async () => {
    [moto, cattle] = await Promise.all([useMoto(), useCattle()]);
    proxy = await startFaultProxy(cattle.origin);
  });
  after(async () => proxy?.stop());
  beforeEach(async () => moto.reset());
  afterEach(() => proxy.plan([]));

  /** An environment whose registry for HOST holds a credential pulls use today. */
  const environmentInUse = async (
    name: string,
  ): Promise<{ environment: CattleEnvironment; credentialId: string }> => {
    const environment = await cattle.createEnvironment(
      `${name}-${Math.random().toString(36).slice(2, 8)}`,
    );
    const registry = await cattle.addRegistry(environment.id, HOST);
    const credential = await cattle.addCredential(environment.id, registry.id, {
      publicValue: 'AWS',
      secretValue: OLD_PASSWORD,
    });
    return { environment, credentialId: credential.id };
  };
  const refresh = (environment: CattleEnvironment, ...extra: string[]): Promise<CliRun> =>
    runCli(
      [
        'rancher1',
        '--registry',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--url',
        `${proxy.url}/v2-beta`,
        '--timeout',
        '2',
        '--log-format',
        'json',
        '--output',
        'json',
        ...extra,
      ],
      {
        ...DUMMY_AWS_ENV,
        CATTLE_ACCESS_KEY: environment.key.accessKey,
        CATTLE_SECRET_KEY: environment.key.secretKey,
      },
    );
  /** The credential a pull uses is the same object, active, with a whole password: the old one or moto's. */
  const assertStillValid = async (
    environment: CattleEnvironment,
    credentialId: string,
    passwords: readonly string[],
  ): Promise<void> => {
    const pull = await cattle.pullCredential(environment.id, IMAGE);
    assert.equal(pull?.credentialId, credentialId, 'the credential was replaced or removed');
    assert.equal(pull?.publicValue, 'AWS');
    assert.ok(
      passwords.includes(String(pull?.secretValue)),
      `the password is ${String(pull?.secretValue).length} characters of something else`,
    );
    assert.deepEqual(
      (await cattle.credentials(environment.id)).map((credential) => [
        credential.id,
        credential.state,
      ]),
      [[credentialId, 'active']],
    );
  };
  const seenSince = (from: number, matching: RegExp) =>
    proxy.requests.slice(from).filter((request) => matching.test(request.path));

  const transient: Array<[name: string, faults: Fault[], matching: RegExp]> = [
    [
      'two 503s with Retry-After on the first request',
      [
        { kind: 'status', status: 503, retryAfterSeconds: 1 },
        { kind: 'status', status: 503, retryAfterSeconds: 1 },
      ],
      EVERY_REQUEST,
    ],
    [
      'a 429 with Retry-After on the credential write',
      [{ kind: 'status', status: 429, retryAfterSeconds: 1 }],
      CREDENTIAL_WRITE,
    ],
    ['a 500 on the credential write', [{ kind: 'status', status: 500 }], CREDENTIAL_WRITE],
    ['a reset connection on the first request', [{ kind: 'reset' }], EVERY_REQUEST],
    ['a response cut in half on the first request', [{ kind: 'truncate' }], EVERY_REQUEST],
    ['a response cut in half on the credential write', [{ kind: 'truncate' }], CREDENTIAL_WRITE],
  ];
  for (const [name, faults, matching] of transient) {
    it(`updates the credential in place after ${name}, with each retry in the log`, async () => {
      const { environment, credentialId } = await environmentInUse('transient');
      const seen = proxy.requests.length;
      proxy.plan(faults, { matching });
      const run = await refresh(environment);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      await assertStillValid(environment, credentialId, [`${moto.accountId}-auth-token`]);
      const retries = run.stderr
        .split('\n')
        .filter((line) => line.includes('Rancher request failed; retrying'));
      assert.equal(retries.length, faults.length, run.stderr);
      assert.ok(seenSince(seen, matching).length > faults.length);
    });
  }

  it('updates the credential through a slow Rancher that answers within the timeout', async () => {
    const { environment, credentialId } = await environmentInUse('slow');
    proxy.plan([
      { kind: 'delay', ms: 1200 },
      { kind: 'delay', ms: 1200 },
    ]);
    const run = await refresh(environment);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    await assertStillValid(environment, credentialId, [`${moto.accountId}-auth-token`]);
  });

  // The message says what happened, and that it was retried.
  const persistent: Array<[name: string, fault: Fault, matching: RegExp, message: RegExp]> = [
    [
      'a 503 on every request',
      { kind: 'status', status: 503, retryAfterSeconds: 1 },
      EVERY_REQUEST,
      /HTTP 503 after 4 attempts/,
    ],
    [
      'a reset of every connection',
      { kind: 'reset' },
      EVERY_REQUEST,
      /failed with ECONNRESET after 4 attempts/,
    ],
    [
      'a black hole',
      { kind: 'blackhole' },
      EVERY_REQUEST,
      /failed with ETIMEDOUT after 4 attempts/,
    ],
    [
      'a black hole on the credential write',
      { kind: 'blackhole' },
      CREDENTIAL_WRITE,
      /PUT .*failed with ETIMEDOUT after 4 attempts/,
    ],
    [
      'every write answer cut in half',
      { kind: 'truncate' },
      CREDENTIAL_WRITE,
      /answer to PUT .* was cut off \(ECONNRESET\) after 4 attempts/,
    ],
  ];
  for (const [name, fault, matching, message] of persistent) {
    it(`ends ${name} with exit 1 in bounded time, the credential still valid`, async () => {
      const { environment, credentialId } = await environmentInUse('persistent');
      proxy.plan([], { afterwards: fault, matching });
      await assertEndsInFailure(() => refresh(environment), {
        boundMs: BOUND_MS,
        code: /^ERR_RANCHER_/,
        message,
      });
      proxy.plan([]);
      // A write whose answer was lost may have landed: either password is whole and valid.
      await assertStillValid(environment, credentialId, [
        OLD_PASSWORD,
        `${moto.accountId}-auth-token`,
      ]);
    });
  }
});
