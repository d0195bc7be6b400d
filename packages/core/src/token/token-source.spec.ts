import assert from 'node:assert/strict';
import { AwsAuthError, EcrUnavailableError, TokenError } from '../errors.ts';
import { clearSecretsForTesting, redactSecrets } from '../log/redaction.ts';
import { identityKey, type AwsIdentity } from '../identity/aws-identity.ts';
import type { IdentityCredentialsSettings } from '../identity/identity-credentials.ts';
import { parseRegistry } from '../registry/registry-target.ts';
import { createFakeEcr, validAuthorization } from '../__fixtures__/fake-ecr.ts';
import { createCachingTokenSource } from './caching-token-source.ts';
import { createTokenSource } from './token-source.ts';

const registries = (...inputs: string[]) => inputs.map(parseRegistry);
const asRole = (input: string, roleArn: string): ReturnType<typeof parseRegistry> => ({
  ...parseRegistry(input),
  identity: { roleArn },
});
const ROLE_A = 'arn:aws:iam::111111111111:role/reader-a';
const ROLE_B = 'arn:aws:iam::222222222222:role/reader-b';

/** Credentials that only record which (partition region, identity) they were built for. */
function recordingCredentials(built: IdentityCredentialsSettings[]) {
  return (settings: IdentityCredentialsSettings) => {
    built.push(settings);
    return async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' });
  };
}

/** A password naming the region and the role (or `default`) it was fetched as. */
function passwordOf(region: string, identity: AwsIdentity): string {
  return `pw-${region}-${identity.roleArn?.split('/').pop() ?? 'default'}`;
}

describe('core/token/token-source', () => {
  afterEach(clearSecretsForTesting);

  it('makes one call per region however many accounts and registries', async () => {
    const ecr = createFakeEcr();
    const source = createTokenSource({ ecrApiFactory: ecr.factory });
    const result = await source.fetch(
      registries(
        '111111111111:eu-west-1',
        '222222222222:eu-west-1',
        '333333333333:eu-west-1',
        '111111111111:us-east-1',
      ),
    );
    assert.deepEqual(ecr.calls.sort(), ['eu-west-1', 'us-east-1']);
    assert.equal(source.calls, 2);
    assert.equal(result.size, 4);
    const credential = result.get('222222222222.dkr.ecr.eu-west-1.amazonaws.com');
    assert.equal(credential?.username, 'AWS');
    assert.equal(credential?.password, 'pw-eu-west-1-0123456789abcdef');
    assert.equal(
      credential?.auth,
      Buffer.from('AWS:pw-eu-west-1-0123456789abcdef').toString('base64'),
    );
  });

  it('shares one call between overlapping fetches of the same region', async () => {
    const ecr = createFakeEcr();
    const source = createTokenSource({ ecrApiFactory: ecr.factory });
    await Promise.all([
      source.fetch(registries('111111111111:eu-west-1')),
      source.fetch(registries('222222222222:eu-west-1')),
    ]);
    assert.equal(ecr.calls.length, 1);
  });

  it('builds one client per region and reuses it on later fetches', async () => {
    const ecr = createFakeEcr();
    const source = createTokenSource({ ecrApiFactory: ecr.factory });
    await source.fetch(registries('111111111111:eu-west-1'));
    await source.fetch(registries('111111111111:eu-west-1'));
    assert.equal(ecr.calls.length, 2);
    assert.equal(ecr.settings.length, 1);
  });

  it('asks the FIPS endpoint for a FIPS registry and passes role, external id and endpoint through', async () => {
    const ecr = createFakeEcr();
    const source = createTokenSource({
      ecrApiFactory: ecr.factory,
      roleArn: 'arn:aws:iam::123456789012:role/reader',
      externalId: 'ext-1',
      endpoint: 'https://vpce.example',
    });
    await source.fetch(registries('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com'));
    assert.equal(ecr.settings[0]?.useFipsEndpoint, true);
    assert.equal(ecr.settings[0]?.identity.roleArn, 'arn:aws:iam::123456789012:role/reader');
    assert.equal(ecr.settings[0]?.identity.externalId, 'ext-1');
    assert.equal(ecr.settings[0]?.endpoint, 'https://vpce.example');
  });

  it('makes one call per (region, identity): each registry gets the token of its own role', async () => {
    const ecr = createFakeEcr((region, settings) => [
      validAuthorization(region, passwordOf(region, settings.identity)),
    ]);
    const built: IdentityCredentialsSettings[] = [];
    const source = createTokenSource({
      ecrApiFactory: ecr.factory,
      credentialsFactory: recordingCredentials(built),
      roleArn: ROLE_A,
    });
    const result = await source.fetch([
      ...registries('111111111111:eu-west-1', '333333333333:eu-west-1'),
      asRole('222222222222:eu-west-1', ROLE_B),
      asRole('444444444444:eu-west-1', ROLE_B),
      asRole('222222222222:us-east-1', ROLE_B),
    ]);
    assert.equal(ecr.calls.length, 3);
    const passwords = Object.fromEntries(
      [...result].map(([host, credential]) => [
        `${host.split('.')[0]} ${host.split('.')[3]}`,
        credential.password,
      ]),
    );
    assert.deepEqual(passwords, {
      '111111111111 eu-west-1': 'pw-eu-west-1-reader-a',
      '333333333333 eu-west-1': 'pw-eu-west-1-reader-a',
      '222222222222 eu-west-1': 'pw-eu-west-1-reader-b',
      '444444444444 eu-west-1': 'pw-eu-west-1-reader-b',
      '222222222222 us-east-1': 'pw-us-east-1-reader-b',
    });
  });

  it('builds the credentials of an identity once per partition, shared by its clients in every region', async () => {
    const ecr = createFakeEcr();
    const built: IdentityCredentialsSettings[] = [];
    const source = createTokenSource({
      ecrApiFactory: ecr.factory,
      credentialsFactory: recordingCredentials(built),
    });
    await source.fetch([
      ...registries(
        '111111111111:eu-west-1',
        '111111111111:us-east-1',
        '111111111111:cn-north-1',
        '111111111111:cn-northwest-1',
      ),
      asRole('222222222222:eu-west-1', ROLE_B),
      asRole('222222222222:ap-south-1', ROLE_B),
    ]);
    await source.fetch([asRole('222222222222:eu-central-1', ROLE_B)]);
    assert.equal(ecr.calls.length, 7);
    const keys = built.map(
      (settings) =>
        `${settings.region.startsWith('cn-') ? 'aws-cn' : 'aws'} ${identityKey(settings.identity)}`,
    );
    assert.deepEqual(keys.sort(), [
      `aws ${identityKey({})}`,
      `aws ${identityKey({ roleArn: ROLE_B })}`,
      `aws-cn ${identityKey({})}`,
    ]);
    const roleClients = ecr.settings.filter((settings) => settings.identity.roleArn === ROLE_B);
    assert.equal(roleClients.length, 3);
    assert.ok(
      roleClients.every((settings) => settings.credentials === roleClients[0]?.credentials),
    );
  });

  it('names the identity that was refused in the error', async () => {
    const ecr = createFakeEcr();
    ecr.failWith({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const source = createTokenSource({
      ecrApiFactory: ecr.factory,
      credentialsFactory: recordingCredentials([]),
    });
    await assert.rejects(
      source.fetch([asRole('222222222222:eu-west-1', ROLE_B)]),
      new RegExp(`denied role ${ROLE_B}`),
    );
  });

  it('assumes the documented lifetime when ECR reports an expiry in the past', async () => {
    const ecr = createFakeEcr((region) => [
      { ...validAuthorization(region), expiresAt: new Date('2015-01-01T00:00:00Z') },
    ]);
    const now = new Date('2026-06-01T00:00:00Z');
    const source = createTokenSource({ ecrApiFactory: ecr.factory, clock: () => now });
    const credential = (await source.fetch(registries('123456789012:eu-west-1')))
      .values()
      .next().value;
    assert.equal(credential?.expiresAt.toISOString(), '2026-06-01T12:00:00.000Z');
  });

  it('registers the password for redaction before returning it', async () => {
    const source = createTokenSource({ ecrApiFactory: createFakeEcr().factory });
    await source.fetch(registries('123456789012:eu-west-1'));
    assert.equal(redactSecrets('x pw-eu-west-1-0123456789abcdef x'), 'x [REDACTED] x');
  });

  it('throws ERR_ECR_TOKEN when ECR returns no authorization data', async () => {
    const source = createTokenSource({ ecrApiFactory: createFakeEcr(() => []).factory });
    await assert.rejects(source.fetch(registries('123456789012:eu-west-1')), TokenError);
  });

  const awsFailures: Array<
    [
      name: string,
      error: object,
      type: new (...args: never[]) => Error,
      code: string,
      mentions: RegExp,
    ]
  > = [
    [
      'a wrong secret key',
      { name: 'InvalidSignatureException', $fault: 'client', $metadata: { httpStatusCode: 403 } },
      AwsAuthError,
      'ERR_AWS_AUTH',
      /rejected the AWS credentials/,
    ],
    [
      'an unknown key',
      { name: 'UnrecognizedClientException', $fault: 'client', $metadata: { httpStatusCode: 403 } },
      AwsAuthError,
      'ERR_AWS_AUTH',
      /rejected the AWS credentials/,
    ],
    [
      'a missing permission',
      { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
      AwsAuthError,
      'ERR_AWS_AUTH',
      /ecr:GetAuthorizationToken/,
    ],
    [
      'no credentials at all',
      { name: 'CredentialsProviderError' },
      AwsAuthError,
      'ERR_AWS_AUTH',
      /no AWS credentials found/,
    ],
    [
      'throttling after retries',
      { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
      EcrUnavailableError,
      'ERR_ECR_UNAVAILABLE',
      /kept failing/,
    ],
    [
      'a 503 after retries',
      { name: 'ServiceUnavailableException', $fault: 'server', $metadata: { httpStatusCode: 503 } },
      EcrUnavailableError,
      'ERR_ECR_UNAVAILABLE',
      /kept failing/,
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      EcrUnavailableError,
      'ERR_ECR_UNAVAILABLE',
      /ECONNREFUSED/,
    ],
  ];
  for (const [name, error, type, code, mentions] of awsFailures) {
    it(`turns ${name} into ${code}, naming the endpoint`, async () => {
      const ecr = createFakeEcr();
      ecr.failWith(error);
      const source = createTokenSource({ ecrApiFactory: ecr.factory });
      await assert.rejects(
        source.fetch(registries('123456789012:eu-west-1')),
        (thrown: unknown) => {
          assert.ok(thrown instanceof type, String(thrown));
          assert.equal((thrown as AwsAuthError).code, code);
          assert.match((thrown as Error).message, mentions);
          if (code !== 'ERR_AWS_AUTH' || !/no AWS credentials/.test((thrown as Error).message)) {
            assert.match((thrown as Error).message, /eu-west-1/);
          }
          return true;
        },
      );
    });
  }

  it('marks unavailability retryable and rejected credentials not', async () => {
    const unavailable = createFakeEcr();
    unavailable.failWith({
      name: 'InternalServerError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    await assert.rejects(
      createTokenSource({ ecrApiFactory: unavailable.factory }).fetch(
        registries('123456789012:eu-west-1'),
      ),
      { retryable: true },
    );
    const rejected = createFakeEcr();
    rejected.failWith({
      name: 'UnrecognizedClientException',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    await assert.rejects(
      createTokenSource({ ecrApiFactory: rejected.factory }).fetch(
        registries('123456789012:eu-west-1'),
      ),
      { retryable: false },
    );
  });

  it('names the permissions ECR Public needs when it denies the identity', async () => {
    const ecrPublic = createFakeEcr();
    ecrPublic.failWith({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const source = createTokenSource({
      ecrPublicApiFactory: ecrPublic.factory,
      ecrApiFactory: createFakeEcr().factory,
    });
    await assert.rejects(source.fetch(registries('public.ecr.aws')), (thrown: unknown) => {
      assert.ok(thrown instanceof AwsAuthError);
      assert.match(
        thrown.message,
        /^ECR Public \(https:\/\/api\.ecr-public\.us-east-1\.amazonaws\.com\) denied the default AWS identity: /,
      );
      assert.match(
        thrown.message,
        /needs ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken on "\*"$/,
      );
      return true;
    });
    assert.deepEqual(
      ecrPublic.settings.map((settings) => settings.region),
      ['us-east-1'],
    );
  });

  it('asks the dual-stack ECR Public API for the dual-stack host, and never the private endpoint or FIPS', async () => {
    const ecrPublic = createFakeEcr();
    const source = createTokenSource({
      ecrPublicApiFactory: ecrPublic.factory,
      endpoint: 'https://vpce.example',
    });
    const result = await source.fetch(registries('ecr-public.aws.com', 'public.ecr.aws'));
    assert.deepEqual([...result.keys()].sort(), ['ecr-public.aws.com', 'public.ecr.aws']);
    const [settings] = ecrPublic.settings;
    assert.deepEqual(
      [
        settings?.region,
        settings?.endpoint,
        settings?.useDualstackEndpoint,
        settings?.useFipsEndpoint,
      ],
      ['us-east-1', undefined, true, false],
    );
  });

  it('caches an ECR Public credential like a private one: reused until its half-life, then fetched again', async () => {
    let now = new Date();
    const clock = () => now;
    const ecrPublic = createFakeEcr();
    const source = createCachingTokenSource(
      createTokenSource({ ecrPublicApiFactory: ecrPublic.factory, clock }),
      clock,
    );
    const targets = registries('public.ecr.aws', 'ecr-public.aws.com');
    await source.fetch(targets);
    now = new Date(now.getTime() + 5 * 3_600_000);
    await source.fetch(targets);
    assert.equal(ecrPublic.calls.length, 1);
    now = new Date(now.getTime() + 2 * 3_600_000);
    await source.fetch(targets);
    assert.equal(ecrPublic.calls.length, 2);
  });

  it('builds a client asynchronously once per group; a client that fails to build fails as itself, and is built again next time', async () => {
    const ecr = createFakeEcr();
    let builds = 0;
    const setupError = new TypeError('Invalid URL');
    const source = createTokenSource({
      ecrApiFactory: async (settings) => {
        builds += 1;
        await new Promise((resolve) => setImmediate(resolve));
        if (builds === 1) throw setupError;
        return ecr.factory(settings);
      },
    });
    await assert.rejects(
      source.fetch(registries('123456789012:eu-west-1')),
      (error) => error === setupError,
    );
    const [first, second] = await Promise.all([
      source.fetch(registries('123456789012:eu-west-1')),
      source.fetch(registries('123456789012:eu-west-1')),
    ]);
    assert.equal(first.size + second.size, 2);
    await source.fetch(registries('123456789012:eu-west-1'));
    assert.deepEqual([builds, ecr.calls.length], [2, 2]);
  });
});
