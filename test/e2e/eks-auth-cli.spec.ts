// How EKS users authenticate, end to end through the bundled CLI, with no static key anywhere in
// its environment: IRSA (a web identity token file and AWS_ROLE_ARN, exchanged with moto's STS
// AssumeRoleWithWebIdentity) and EKS Pod Identity (container credentials from a loopback stand-in
// of the Pod Identity agent). moto checks every ECR call against the role's policy.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFaultProxy,
  startPodIdentityAgent,
  type FaultProxy,
  type KubeApiServer,
  type Moto,
  type PodIdentityAgent,
} from '../peers/index.ts';
import { runCli, type CliRun } from '../support/run-cli.ts';
import {
  EKS_ACCOUNT,
  EKS_HOST as HOST,
  EKS_PASSWORD as PASSWORD,
  STATIC_KEYS,
  createIrsaRole,
  noteEksPassword,
  podIdentityCredentials,
  serviceAccountToken,
} from './eks-auth-helpers.ts';
import {
  SECRET,
  createNamespaces,
  dockerConfigOf,
  readSecret,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

describe('e2e: EKS authentication (IRSA, Pod Identity) through the bundled CLI, no static keys', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let ecr: FaultProxy;
  let sts: FaultProxy;
  let dir: string;
  let agent: PodIdentityAgent | undefined;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    noteEksPassword();
    [ecr, sts] = await Promise.all([
      startFaultProxy(moto.endpoint, { keepHost: true }),
      startFaultProxy(moto.endpoint, { keepHost: true }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-eks-auth-'));
  });

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await moto.reset();
  });

  after(async () => {
    await Promise.all([ecr?.stop(), sts?.stop()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function writeToken(name: string, token: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, token);
    return path;
  }

  /** Runs `k8s` with `env` alone (plus PATH and an empty HOME: no shared config or credentials file). */
  async function k8sAs(env: Record<string, string>, namespace: string): Promise<CliRun> {
    for (const name of STATIC_KEYS) assert.equal(env[name], undefined, `${name} must not be set`);
    return runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        ecr.url,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        namespace,
        '--output',
        'json',
      ],
      {
        ...env,
        HOME: dir,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_STS: sts.url,
      },
    );
  }

  it('IRSA: exchanges the projected token for the role with AssumeRoleWithWebIdentity, then asks ECR as the role', async () => {
    const roleArn = await createIrsaRole(moto);
    const tokenFile = await writeToken('irsa-token', serviceAccountToken('sts.amazonaws.com'));
    const namespace = uniqueName('irsa');
    await createNamespaces(kube, [namespace]);
    // The web identity call is unsigned by design: it alone passes unchecked; the ECR call after it is checked.
    await moto.checkAuthAfter(1);
    const [ecrBefore, stsBefore] = [ecr.requests.length, sts.requests.length];
    const run = await k8sAs(
      {
        AWS_ROLE_ARN: roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_SESSION_NAME: 'ecr-refresh',
      },
      namespace,
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    // moto answers with the password of the account whose credentials asked: the role's.
    assert.equal(dockerConfigOf(await readSecret(kube, namespace)).auths[HOST]?.password, PASSWORD);
    assert.equal(sts.requests.length - stsBefore, 1);
    assert.equal(ecr.requests.length - ecrBefore, 1);
  });

  it('EKS Pod Identity: takes the credentials the agent serves for the token file, and ECR accepts them', async () => {
    const credentials = await podIdentityCredentials(moto);
    const tokenFile = await writeToken(
      'eks-pod-identity-token',
      serviceAccountToken('pods.eks.amazonaws.com'),
    );
    agent = await startPodIdentityAgent(tokenFile, credentials);
    const namespace = uniqueName('pod-identity');
    await createNamespaces(kube, [namespace]);
    await moto.checkAuthAfter(0);
    const [ecrBefore, stsBefore] = [ecr.requests.length, sts.requests.length];
    const run = await k8sAs(
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      },
      namespace,
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(dockerConfigOf(await readSecret(kube, namespace)).auths[HOST]?.password, PASSWORD);
    assert.deepEqual(agent.requests, [{ path: '/v1/credentials', status: 200 }]);
    assert.equal(ecr.requests.length - ecrBefore, 1);
    assert.equal(sts.requests.length - stsBefore, 0, 'Pod Identity needs no STS call from the pod');
  });

  it('EKS Pod Identity: a token the agent does not accept fails the run (exit 2) and writes nothing', async () => {
    const tokenFile = await writeToken(
      'agent-token',
      serviceAccountToken('pods.eks.amazonaws.com'),
    );
    const otherToken = await writeToken('other-token', serviceAccountToken('another-audience'));
    agent = await startPodIdentityAgent(tokenFile, {
      accessKeyId: 'ASIAUNUSED',
      secretAccessKey: 'unused',
      sessionToken: 'unused',
      expiration: new Date(Date.now() + 3600_000).toISOString(),
      accountId: EKS_ACCOUNT,
    });
    const namespace = uniqueName('pod-identity-denied');
    await createNamespaces(kube, [namespace]);
    const run = await k8sAs(
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: otherToken,
      },
      namespace,
    );
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /ERR_AWS_AUTH/);
    // The SDK retries the refused token, then its ECS provider asks once more without a token file (400).
    const statuses = new Set(agent.requests.map((request) => request.status));
    assert.ok(statuses.has(403) && !statuses.has(200), JSON.stringify(agent.requests));
    assert.equal(
      (await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`)).status,
      404,
    );
  });
});
