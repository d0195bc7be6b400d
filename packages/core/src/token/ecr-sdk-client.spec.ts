import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TIMEOUTS } from '../http/http-timeouts.ts';
import { USER_AGENT } from '../http/user-agent.ts';
import { createSdkEcrApi } from './ecr-sdk-client.ts';

/** ECR's and STS's answers, just enough for the SDK to accept them. */
function answer(body: string): { type: string; text: string } {
  if (body.includes('Action=AssumeRole')) {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const credentials = `<AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${expiration}</Expiration>`;
    return { type: 'text/xml', text: `<AssumeRoleResponse><AssumeRoleResult><Credentials>${credentials}</Credentials></AssumeRoleResult></AssumeRoleResponse>` };
  }
  const data = { authorizationToken: Buffer.from('AWS:password').toString('base64'), expiresAt: Date.now() / 1000 + 43_200, proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' };
  return { type: 'application/x-amz-json-1.1', text: JSON.stringify({ authorizationData: [data] }) };
}

describe('core/token/ecr-sdk-client', () => {
  let server: Server;
  let endpoint: string;
  const seen: IncomingHttpHeaders[] = [];
  const stsVariable = process.env.AWS_ENDPOINT_URL_STS;

  before(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers);
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const { type, text } = answer(body);
        response.writeHead(200, { 'content-type': type }).end(text);
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
    const ecr = createSdkEcrApi({
      region: 'eu-west-1',
      endpoint,
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      roleArn: 'arn:aws:iam::123456789012:role/ecr-reader',
      credentials: async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'secret' }),
      maxAttempts: 1,
      timeouts: DEFAULT_TIMEOUTS,
    });
    const answer = await ecr.getAuthorizationToken({});
    assert.equal(answer.data.length, 1);
    // One AssumeRole, then GetAuthorizationToken with the role's credentials.
    assert.deepEqual(seen.map((headers) => headers['x-amz-target'] ?? 'sts'), ['sts', 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken']);
    const product = new RegExp(`(^| )${USER_AGENT.replace(/[.]/g, '\\.')}( |$)`);
    for (const headers of seen) {
      assert.match(headers['user-agent'] ?? '', product);
      assert.match(String(headers['x-amz-user-agent'] ?? ''), product);
    }
  });

  for (const [fips, dualstack] of [[false, true], [true, false], [true, true]] as const) {
    it(`calls a custom endpoint for a ${fips ? 'FIPS ' : ''}${dualstack ? 'dual-stack ' : ''}registry (the SDK refuses the two together)`, async () => {
      seen.length = 0;
      const ecr = createSdkEcrApi({
        region: 'us-east-1',
        endpoint,
        useFipsEndpoint: fips,
        useDualstackEndpoint: dualstack,
        credentials: async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'secret' }),
        maxAttempts: 1,
        timeouts: DEFAULT_TIMEOUTS,
      });
      assert.equal((await ecr.getAuthorizationToken({})).data.length, 1);
      assert.deepEqual(seen.map((headers) => headers['x-amz-target']), ['AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken']);
    });
  }
});
