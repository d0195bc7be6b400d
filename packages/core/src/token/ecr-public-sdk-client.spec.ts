import assert from 'node:assert/strict';
import { startEcrPublicStandIn, type EcrPublicStandIn } from '../../../../test/peers/ecr-public.ts';
import { AwsAuthError } from '../errors.ts';
import { DEFAULT_TIMEOUTS } from '../http/http-timeouts.ts';
import { clearSecretsForTesting } from '../log/redaction.ts';
import { parseRegistry } from '../registry/registry-target.ts';
import { createFakeEcr } from '../__fixtures__/fake-ecr.ts';
import { createSdkEcrPublicApi } from './ecr-public-sdk-client.ts';
import { createTokenSource } from './token-source.ts';

const KEY = { accessKeyId: 'AKIAPUBLICSTANDIN01', secretAccessKey: 'public-stand-in-secret' };

describe('core/token/ecr-public-sdk-client', () => {
  let standIn: EcrPublicStandIn;
  beforeEach(async () => {
    standIn = await startEcrPublicStandIn(KEY);
  });
  afterEach(async () => {
    clearSecretsForTesting();
    await standIn.stop();
  });

  it('asks ECR Public for a token with a SigV4 request for ecr-public in us-east-1, and reads its one authorizationData', async () => {
    const api = createSdkEcrPublicApi({
      region: 'us-east-1',
      endpoint: standIn.endpoint,
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      identity: {},
      credentials: async () => KEY,
      maxAttempts: 1,
      timeouts: DEFAULT_TIMEOUTS,
    });
    const answer = await api.getAuthorizationToken({});
    assert.deepEqual(standIn.requests, [
      {
        target: 'SpencerFrontendService.GetAuthorizationToken',
        accessKeyId: KEY.accessKeyId,
        region: 'us-east-1',
        service: 'ecr-public',
        refused: undefined,
      },
    ]);
    assert.equal(answer.data.length, 1);
    assert.equal(
      Buffer.from(answer.data[0]?.authorizationToken ?? '', 'base64').toString(),
      'AWS:ecr-public-0',
    );
    const hoursLeft = ((answer.data[0]?.expiresAt?.getTime() ?? 0) - Date.now()) / 3_600_000;
    assert.ok(hoursLeft > 11.9 && hoursLeft <= 12, `expiresAt ${hoursLeft} h away`);
  });

  it('serves both ECR Public hosts from one call, next to a private registry, with a private endpoint that ECR Public ignores', async () => {
    const ecr = createFakeEcr();
    const source = createTokenSource({
      ecrApiFactory: ecr.factory,
      endpoint: 'https://vpce.example',
      publicEndpoint: standIn.endpoint,
      credentials: async () => KEY,
      maxAttempts: 1,
    });
    const result = await source.fetch(
      ['public.ecr.aws', 'ecr-public.aws.com', '123456789012:us-east-1'].map(parseRegistry),
    );
    assert.equal(source.calls, 2);
    assert.deepEqual(ecr.calls, ['us-east-1']);
    assert.equal(standIn.requests.length, 1);
    for (const host of ['public.ecr.aws', 'ecr-public.aws.com']) {
      assert.deepEqual(
        [result.get(host)?.username, result.get(host)?.password],
        ['AWS', 'ecr-public-0'],
      );
    }
    assert.equal(
      result.get('123456789012.dkr.ecr.us-east-1.amazonaws.com')?.password,
      'pw-us-east-1-0123456789abcdef',
    );
  });

  it('reports a refused signature as ERR_AWS_AUTH naming ECR Public, without the secret', async () => {
    const source = createTokenSource({
      publicEndpoint: standIn.endpoint,
      credentials: async () => ({ ...KEY, secretAccessKey: 'a-wrong-secret' }),
      maxAttempts: 1,
    });
    await assert.rejects(source.fetch([parseRegistry('public.ecr.aws')]), (error: unknown) => {
      assert.ok(error instanceof AwsAuthError);
      assert.match(
        error.message,
        new RegExp(`^ECR Public \\(${standIn.endpoint}\\) rejected the AWS credentials`),
      );
      assert.doesNotMatch(error.message, /a-wrong-secret/);
      return true;
    });
    assert.equal(standIn.requests[0]?.refused, 'InvalidSignatureException');
  });
});
