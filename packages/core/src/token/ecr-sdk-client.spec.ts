import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TIMEOUTS } from '../http/http-timeouts.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import { createIdentityCredentials } from '../identity/identity-credentials.ts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsAuthError } from '../errors.ts';
import type { AwsIdentity } from '../identity/aws-identity.ts';
import { createSdkEcrApi } from './ecr-sdk-client.ts';

const DENIED_ROLE = 'arn:aws:iam::123456789012:role/not-trusted';

/** ECR's and STS's answers, just enough for the SDK to accept them. */
function answer(body: string): { status: number; type: string; text: string } {
  if (body.includes(`RoleArn=${encodeURIComponent(DENIED_ROLE)}`)) {
    const error =
      '<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error>';
    return {
      status: 403,
      type: 'text/xml',
      text: `<ErrorResponse>${error}<RequestId>1</RequestId></ErrorResponse>`,
    };
  }
  if (body.includes('Action=AssumeRole')) {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const credentials = `<AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${expiration}</Expiration>`;
    return {
      status: 200,
      type: 'text/xml',
      text: `<AssumeRoleResponse><AssumeRoleResult><Credentials>${credentials}</Credentials></AssumeRoleResult></AssumeRoleResponse>`,
    };
  }
  const data = {
    authorizationToken: Buffer.from('AWS:password').toString('base64'),
    expiresAt: Date.now() / 1000 + 43_200,
    proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  };
  return {
    status: 200,
    type: 'application/x-amz-json-1.1',
    text: JSON.stringify({ authorizationData: [data] }),
  };
}

describe('core/token/ecr-sdk-client', () => {
  let server: Server;
  let endpoint: string;
  const seen: IncomingHttpHeaders[] = [];
  const bodies: string[] = [];
  const base = async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'secret' });
  beforeEach(() => {
    seen.length = 0;
    bodies.length = 0;
  });

  /** An ECR API in `region` on the test server, as `identity` with `credentials`. */
  function ecrIn(
    region: string,
    identity: AwsIdentity,
    credentials: AwsCredentialIdentityProvider,
  ) {
    return createSdkEcrApi({
      region,
      endpoint,
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      identity,
      credentials,
      maxAttempts: 1,
      timeouts: DEFAULT_TIMEOUTS,
    });
  }
  const stsVariable = process.env.AWS_ENDPOINT_URL_STS;

  before(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers);
      bodies.push('');
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => (bodies[bodies.length - 1] = body));
      request.on('end', () => {
        const { status, type, text } = answer(body);
        response.writeHead(status, { 'content-type': type }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_STS = endpoint;
  });
  after(async () => {
    if (stsVariable === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
    else process.env.AWS_ENDPOINT_URL_STS = stsVariable;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it(`names ecr-refresh in the User-Agent of every ECR and STS request: ${USER_AGENT}`, async () => {
    const identity = { roleArn: 'arn:aws:iam::123456789012:role/ecr-reader' };
    const ecr = ecrIn(
      'eu-west-1',
      identity,
      createIdentityCredentials({
        identity,
        region: 'eu-west-1',
        base,
        maxAttempts: 1,
        timeouts: DEFAULT_TIMEOUTS,
      }),
    );
    const answer = await ecr.getAuthorizationToken({});
    assert.equal(answer.data.length, 1);
    // One AssumeRole, then GetAuthorizationToken with the role's credentials.
    assert.deepEqual(
      seen.map((headers) => headers['x-amz-target'] ?? 'sts'),
      ['sts', 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'],
    );
    const product = new RegExp(`(^| )${USER_AGENT.replace(/[.]/g, '\\.')}( |$)`);
    for (const headers of seen) {
      assert.match(headers['user-agent'] ?? '', product);
      assert.match(String(headers['x-amz-user-agent'] ?? ''), product);
    }
  });

  for (const [fips, dualstack] of [
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`calls a custom endpoint for a ${fips ? 'FIPS ' : ''}${dualstack ? 'dual-stack ' : ''}registry (the SDK refuses the two together)`, async () => {
      seen.length = 0;
      const ecr = createSdkEcrApi({
        region: 'us-east-1',
        endpoint,
        useFipsEndpoint: fips,
        useDualstackEndpoint: dualstack,
        identity: {},
        credentials: async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'secret' }),
        maxAttempts: 1,
        timeouts: DEFAULT_TIMEOUTS,
      });
      assert.equal((await ecr.getAuthorizationToken({})).data.length, 1);
      assert.deepEqual(
        seen.map((headers) => headers['x-amz-target']),
        ['AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'],
      );
    });
  }

  it('assumes a role once for every client of the identity, with its external id, and reuses the session', async () => {
    const identity = {
      roleArn: 'arn:aws:iam::123456789012:role/ecr-reader',
      externalId: 'tenant-42',
    };
    const credentials = createIdentityCredentials({
      identity,
      region: 'eu-west-1',
      base,
      maxAttempts: 1,
      timeouts: DEFAULT_TIMEOUTS,
    });
    const clients = [
      ecrIn('eu-west-1', identity, credentials),
      ecrIn('us-east-1', identity, credentials),
    ];
    await Promise.all(clients.map((client) => client.getAuthorizationToken({})));
    await clients[0]?.getAuthorizationToken({});
    const assumeRoles = bodies.filter((body) => body.includes('Action=AssumeRole'));
    assert.equal(assumeRoles.length, 1);
    assert.match(assumeRoles[0] ?? '', /ExternalId=tenant-42/);
    assert.match(assumeRoles[0] ?? '', /RoleSessionName=ecr-refresh/);
    assert.equal(bodies.length - assumeRoles.length, 3);
  });

  it('says which role STS refused to let the caller assume, and what its trust policy needs', async () => {
    const identity = { roleArn: DENIED_ROLE, externalId: 'tenant-42' };
    const credentials = createIdentityCredentials({
      identity,
      region: 'eu-west-1',
      base,
      maxAttempts: 1,
      timeouts: DEFAULT_TIMEOUTS,
    });
    await assert.rejects(
      ecrIn('eu-west-1', identity, credentials).getAuthorizationToken({}),
      (error: Error) => {
        assert.ok(error instanceof AwsAuthError, String(error));
        assert.match(
          error.message,
          new RegExp(
            `STS in eu-west-1 \\(${endpoint}\\) denied the default AWS identity assuming ${DENIED_ROLE}: AccessDenied`,
          ),
        );
        assert.match(error.message, /sts:ExternalId/);
        return true;
      },
    );
    assert.equal(
      seen.filter((headers) => headers['x-amz-target'] !== undefined).length,
      0,
      'ECR is not called without credentials',
    );
  });
});
