import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

// Runs a token source in a fresh Node process against a loopback ECR (both APIs answered), and
// prints every module URL the process resolved: what a library user's process would load.
const CHILD = `
import { registerHooks } from 'node:module';
import { createServer } from 'node:http';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); resolved.push(result.url); return result; } });
const { createTokenSource } = await import(process.env.TOKEN_SOURCE);
const { parseRegistry } = await import(process.env.REGISTRY_TARGET);
const token = Buffer.from('AWS:lazy-test-password').toString('base64');
const expiresAt = Date.now() / 1000 + 43200;
const server = createServer((request, response) => {
  request.resume().on('end', () => {
    const data = { authorizationToken: token, expiresAt };
    const isPublic = String(request.headers['x-amz-target']).startsWith('SpencerFrontendService.');
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ authorizationData: isPublic ? data : [data] }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = 'http://127.0.0.1:' + server.address().port;
const source = createTokenSource({ endpoint, publicEndpoint: endpoint, maxAttempts: 1, credentials: async () => ({ accessKeyId: 'AKIALAZYTEST', secretAccessKey: 'lazy' }) });
const credentials = await source.fetch(process.argv.slice(1).map(parseRegistry));
server.close();
process.stdout.write(JSON.stringify({ hosts: [...credentials.keys()], resolved }));
`;

function modulesLoadedServing(...registries: string[]): { hosts: string[]; resolved: string[] } {
  const env = {
    PATH: process.env.PATH ?? '',
    TOKEN_SOURCE: pathToFileURL(`${import.meta.dirname}/token-source.ts`).href,
    REGISTRY_TARGET: pathToFileURL(`${import.meta.dirname}/../registry/registry-target.ts`).href,
  };
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, ...registries], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { hosts: string[]; resolved: string[] };
}

const loads = (resolved: string[], name: string) =>
  resolved.some((url) => url.includes(`/node_modules/${name}/`));

describe('core/token/ecr-public-api (lazy loading, each client alone)', function () {
  this.timeout(60_000);

  it('never loads @aws-sdk/client-ecr-public in a process that serves only private registries', () => {
    const { hosts, resolved } = modulesLoadedServing('123456789012:eu-west-1');
    assert.deepEqual(hosts, ['123456789012.dkr.ecr.eu-west-1.amazonaws.com']);
    // The check sees lazily loaded modules: the private client is among them.
    assert.equal(loads(resolved, '@aws-sdk/client-ecr'), true);
    assert.equal(loads(resolved, '@aws-sdk/client-ecr-public'), false);
  });

  it('loads it once a public registry is served', () => {
    const { hosts, resolved } = modulesLoadedServing('123456789012:eu-west-1', 'public.ecr.aws');
    assert.deepEqual(hosts.sort(), [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'public.ecr.aws',
    ]);
    assert.equal(loads(resolved, '@aws-sdk/client-ecr-public'), true);
  });

  it('never loads @aws-sdk/client-ecr in a process that serves only ECR Public', () => {
    const { hosts, resolved } = modulesLoadedServing('public.ecr.aws');
    assert.deepEqual(hosts, ['public.ecr.aws']);
    assert.equal(loads(resolved, '@aws-sdk/client-ecr-public'), true);
    assert.equal(loads(resolved, '@aws-sdk/client-ecr'), false);
  });
});
