import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request as httpRawRequest } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { httpRequest } from './http-request.ts';
import {
  useKube,
  useMoto,
  useTinyproxy,
  type KubeApiServer,
  type Moto,
  type MotoIamCredentials,
} from './index.ts';
import { waitUntil } from './wait-until.ts';

const DOCKERCONFIG = JSON.stringify({
  auths: { '123456789012.dkr.ecr.us-east-1.amazonaws.com': { auth: 'QVdTOnNlY3JldA==' } },
});

function dockerconfigSecret(
  name: string,
  dockerconfigjson: string,
  resourceVersion?: string,
): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    data: { '.dockerconfigjson': Buffer.from(dockerconfigjson).toString('base64') },
  };
}

let namespaceSequence = 0;
async function freshNamespace(kube: KubeApiServer): Promise<string> {
  namespaceSequence += 1;
  const name = `peers-${process.pid}-${namespaceSequence}`;
  await kube.createNamespace(name, { 'ecr-refresh.test/suite': 'peers' });
  return name;
}

describe('kube-apiserver peer', () => {
  let kube: KubeApiServer;
  let namespace: string;

  before(async function () {
    this.timeout(20 * 60_000); // a cold cache builds the binaries first
    kube = await useKube();
    namespace = await freshNamespace(kube);
  });

  it('reports the Kubernetes version it was built from on /version', async () => {
    const version = await kube.request('GET', '/version');
    assert.equal(version.status, 200);
    assert.equal(version.body.gitVersion, `v${kube.version}`);
  });

  it('stores a kubernetes.io/dockerconfigjson Secret and returns it unchanged', async () => {
    const created = await kube.request(
      'POST',
      `/api/v1/namespaces/${namespace}/secrets`,
      dockerconfigSecret('ecr-pull', DOCKERCONFIG),
    );
    assert.equal(created.status, 201);
    const read = await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/ecr-pull`);
    assert.equal(read.status, 200);
    assert.equal(read.body.type, 'kubernetes.io/dockerconfigjson');
    assert.equal(
      Buffer.from(read.body.data['.dockerconfigjson'], 'base64').toString(),
      DOCKERCONFIG,
    );
  });

  it('rejects a dockerconfigjson Secret whose .dockerconfigjson is not JSON with 422', async () => {
    const response = await kube.request(
      'POST',
      `/api/v1/namespaces/${namespace}/secrets`,
      dockerconfigSecret('broken', '{"auths":'),
    );
    assert.equal(response.status, 422);
    assert.equal(response.body.reason, 'Invalid');
    assert.match(response.body.message, /\.dockerconfigjson/);
  });

  it('answers 409 Conflict to a replace that carries a stale resourceVersion', async () => {
    const path = `/api/v1/namespaces/${namespace}/secrets/raced`;
    const created = await kube.request(
      'POST',
      `/api/v1/namespaces/${namespace}/secrets`,
      dockerconfigSecret('raced', DOCKERCONFIG),
    );
    assert.equal(created.status, 201);
    const staleVersion: string = created.body.metadata.resourceVersion;
    const first = await kube.request(
      'PUT',
      path,
      dockerconfigSecret('raced', '{"auths":{}}', staleVersion),
    );
    assert.equal(first.status, 200);
    const second = await kube.request(
      'PUT',
      path,
      dockerconfigSecret('raced', DOCKERCONFIG, staleVersion),
    );
    assert.equal(second.status, 409);
    assert.equal(second.body.reason, 'Conflict');
  });

  it('refuses create to a ServiceAccount whose Role only allows get on Secrets (403), and audits the refusal', async () => {
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    };
    assert.equal((await kube.request('POST', `${rbac}/roles`, role)).status, 201);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    };
    assert.equal((await kube.request('POST', `${rbac}/rolebindings`, binding)).status, 201);
    assert.equal(
      (
        await kube.request(
          'POST',
          `/api/v1/namespaces/${namespace}/secrets`,
          dockerconfigSecret('readable', DOCKERCONFIG),
        )
      ).status,
      201,
    );

    const token = await kube.createServiceAccountToken(namespace, 'reader', {
      expirationSeconds: 600,
    });
    const asReader = async (method: string, path: string, body?: object) =>
      httpRequest(`${kube.server}${path}`, {
        method,
        tls: { ca: await readFile(kube.caPath) },
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal(
      (await asReader('GET', `/api/v1/namespaces/${namespace}/secrets/readable`)).status,
      200,
    );
    const refused = await asReader(
      'POST',
      `/api/v1/namespaces/${namespace}/secrets`,
      dockerconfigSecret('forbidden', DOCKERCONFIG),
    );
    assert.equal(refused.status, 403);

    const username = `system:serviceaccount:${namespace}:reader`;
    let refusals: Awaited<ReturnType<KubeApiServer['auditEvents']>> = [];
    await waitUntil(
      async () => {
        refusals = (await kube.auditEvents(username)).filter(
          (event) =>
            event.stage === 'ResponseComplete' &&
            event.verb === 'create' &&
            event.objectRef?.resource === 'secrets',
        );
        return refusals.length > 0;
      },
      { what: 'audit event of the refused create', timeoutMs: 5000 },
    );
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]?.responseStatus?.code, 403);
    assert.equal(refusals[0]?.objectRef?.namespace, namespace);
  });

  it('writes a kubeconfig that logs in with a ServiceAccount token in the given namespace', async () => {
    const token = await kube.createServiceAccountToken(namespace, 'tool', {
      expirationSeconds: 600,
    });
    const config = JSON.parse(
      await readFile(await kube.kubeconfigForToken(token, namespace), 'utf8'),
    );
    assert.equal(config.users[0].user.token, token);
    assert.equal(config.contexts[0].context.namespace, namespace);
    assert.equal(config.clusters[0].cluster.server, kube.server);
    const whoami = await httpRequest(
      `${kube.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      {
        method: 'POST',
        tls: { ca: await readFile(config.clusters[0].cluster['certificate-authority']) },
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      },
    );
    assert.equal(whoami.status, 201);
    assert.equal(
      JSON.parse(whoami.body).status.userInfo.username,
      `system:serviceaccount:${namespace}:tool`,
    );
  });
});

/**
 * moto answers a refused ECR (JSON protocol) call with an XML ErrorResponse, which the SDK cannot
 * parse: it throws a SyntaxError carrying only the HTTP status. This keeps a copy of every error
 * body so tests can read moto's error code.
 */
function ecrClient(
  moto: Moto,
  credentials: { accessKeyId: string; secretAccessKey: string },
  errorBodies: string[],
): ECRClient {
  const client = new ECRClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: Readable };
      if ((response.statusCode ?? 0) >= 400 && response.body !== undefined) {
        const chunks: Buffer[] = [];
        for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Uint8Array));
        errorBodies.push(Buffer.concat(chunks).toString('utf8'));
        response.body = Readable.from(chunks);
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'keepErrorBody' },
  );
  return client;
}

async function refusal(
  client: ECRClient,
  errorBodies: string[],
): Promise<{ status: number | undefined; code: string | undefined }> {
  const error: unknown = await client.send(new GetAuthorizationTokenCommand({})).then(
    () => assert.fail('GetAuthorizationToken succeeded'),
    (thrown: unknown) => thrown,
  );
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return { status, code: /<Code>([^<]+)<\/Code>/.exec(errorBodies.at(-1) ?? '')?.[1] };
}

describe('moto peer with IAM auth on', () => {
  let moto: Moto;
  let credentials: MotoIamCredentials;

  before(async () => {
    moto = await useMoto();
    await moto.reset();
    credentials = await moto.enableIamAuth();
  });

  after(async () => {
    await moto?.reset();
  });

  it('issues an ECR authorization token to a correct access key', async () => {
    const answer = await ecrClient(moto, credentials, []).send(
      new GetAuthorizationTokenCommand({}),
    );
    const data = answer.authorizationData?.[0];
    assert.equal(
      Buffer.from(data?.authorizationToken ?? '', 'base64').toString(),
      `AWS:${moto.accountId}-auth-token`,
    );
    assert.equal(data?.proxyEndpoint, `https://${moto.accountId}.dkr.ecr.us-east-1.amazonaws.com`);
    // moto's fixed, already past expiry: the refresh loop must not spin on it.
    assert.equal(data?.expiresAt?.toISOString(), '2015-01-01T00:00:00.000Z');
  });

  it('refuses a wrong secret key with 403 SignatureDoesNotMatch', async () => {
    const errorBodies: string[] = [];
    const client = ecrClient(
      moto,
      { accessKeyId: credentials.accessKeyId, secretAccessKey: 'wrong-secret' },
      errorBodies,
    );
    assert.deepEqual(await refusal(client, errorBodies), {
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses an unknown access key with 403 InvalidClientTokenId', async () => {
    const errorBodies: string[] = [];
    const client = ecrClient(
      moto,
      { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever' },
      errorBodies,
    );
    assert.deepEqual(await refusal(client, errorBodies), {
      status: 403,
      code: 'InvalidClientTokenId',
    });
  });

  it('refuses a key whose policy does not allow ecr:GetAuthorizationToken with AccessDenied', async () => {
    const limited = await moto.enableIamAuth({ actions: ['ecr:DescribeRepositories'] });
    const errorBodies: string[] = [];
    const { code } = await refusal(ecrClient(moto, limited, errorBodies), errorBodies);
    assert.equal(code, 'AccessDenied');
  });
});

function proxiedGet(proxyUrl: string, target: string): Promise<number> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = httpRawRequest(
      {
        host: proxy.hostname,
        port: proxy.port,
        path: target,
        agent: false,
        headers: { host: new URL(target).host },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

function connectThrough(proxyUrl: string, hostPort: string): Promise<string> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.hostname, port: Number(proxy.port) }, () => {
      socket.write(`CONNECT ${hostPort} HTTP/1.1\r\nHost: ${hostPort}\r\n\r\n`);
    });
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.once('error', reject);
  });
}

describe('tinyproxy peer', () => {
  it('forwards a plain HTTP request to moto and logs it', async () => {
    const [proxy, moto] = await Promise.all([useTinyproxy(), useMoto()]);
    const target = `${moto.endpoint}/moto-api/?from=peers-spec`;
    assert.equal(await proxiedGet(proxy.url, target), 200);
    assert.match(
      await proxy.accessLog(),
      new RegExp(
        `Request \\(file descriptor \\d+\\): GET ${target.replace(/[.?/]/g, '\\$&')} HTTP/1\\.1`,
      ),
    );
  });

  it('tunnels CONNECT to a port other than 443 and logs it', async () => {
    const [proxy, moto] = await Promise.all([useTinyproxy(), useMoto()]);
    const hostPort = new URL(moto.endpoint).host;
    assert.match(await connectThrough(proxy.url, hostPort), /^HTTP\/1\.[01] 200 /);
    assert.match(
      await proxy.accessLog(),
      new RegExp(`CONNECT ${hostPort.replace(/\./g, '\\.')} HTTP/1\\.1`),
    );
  });
});
