// Several AWS identities in one run, end to end: two roles in two accounts, assumed with moto's
// STS under IAM auth (signatures, user and role policies, the trust policy's external id checked),
// writing one Secret that holds both registries, on the real kube-apiserver.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  startFaultProxy,
  type FaultProxy,
  type KubeApiServer,
  type Moto,
  type MotoIamCredentials,
} from '../peers/index.ts';
import { noteSecret } from '../support/leak-collector.ts';
import { DEAD_ENDPOINT, runCli } from '../support/run-cli.ts';
import {
  MOTO_PASSWORD,
  SECRET,
  createNamespaces,
  dockerConfigOf,
  readSecret,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const OTHER_ACCOUNT = '210987654321';
const OTHER_PASSWORD = `${OTHER_ACCOUNT}-auth-token`;
const HOST_A = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const HOST_B = `${OTHER_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const EXTERNAL_ID = 'tenant-42';

describe('e2e: several AWS identities in one run (moto STS and IAM auth, kube-apiserver)', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let user: MotoIamCredentials;
  let roleA: string;
  let roleB: string;
  let ecr: FaultProxy;
  let sts: FaultProxy;
  let dir: string;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    noteSecret(OTHER_PASSWORD);
    noteSecret(`AWS:${OTHER_PASSWORD}`);
    // The user may only assume roles: every ECR call must be made as one of them.
    user = await moto.enableIamAuth({ actions: ['sts:AssumeRole'] });
    const trustedUser = { Effect: 'Allow', Principal: { AWS: user.arn }, Action: 'sts:AssumeRole' };
    roleA = await moto.createRole({
      name: 'ecr-reader-a',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          { ...trustedUser, Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
        ],
      },
      actions: ['ecr:GetAuthorizationToken'],
    });
    roleB = await moto.createRole({
      name: 'ecr-reader-b',
      accountId: OTHER_ACCOUNT,
      trustPolicy: { Version: '2012-10-17', Statement: [trustedUser] },
      actions: ['ecr:GetAuthorizationToken'],
    });
    // Pass-through proxies in front of moto: one counts the ECR calls, the other the STS calls.
    [ecr, sts] = await Promise.all([
      startFaultProxy(moto.endpoint, { keepHost: true }),
      startFaultProxy(moto.endpoint, { keepHost: true }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-identities-'));
  });

  after(async () => {
    await Promise.all([ecr?.stop(), sts?.stop(), moto?.reset()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function configFile(name: string, registries: unknown[]): Promise<string> {
    const path = join(dir, `${name}.yaml`);
    await writeFile(path, stringify({ registries, kubeconfig: kube.kubeconfigPath }));
    return path;
  }

  const userEnv = () => ({
    AWS_ACCESS_KEY_ID: user.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_STS: sts.url,
  });

  it('writes one Secret holding both accounts, each token fetched as its own role: two ECR calls, two AssumeRole', async () => {
    const namespace = uniqueName('two-roles');
    await createNamespaces(kube, [namespace]);
    const config = await configFile('two-roles', [
      { host: HOST_A, roleArn: roleA, externalId: EXTERNAL_ID },
      { host: HOST_B, 'role-arn': roleB },
    ]);
    const [ecrBefore, stsBefore] = [ecr.requests.length, sts.requests.length];
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', ecr.url, '-n', namespace, '--output', 'json'],
      userEnv(),
    );
    assert.equal(run.status, 0, run.stderr);
    const auths = dockerConfigOf(await readSecret(kube, namespace)).auths;
    assert.deepEqual(Object.keys(auths).sort(), [HOST_B, HOST_A].sort());
    // moto answers with the password of the account whose credentials asked.
    assert.equal(auths[HOST_A]?.password, MOTO_PASSWORD);
    assert.equal(auths[HOST_B]?.password, OTHER_PASSWORD);
    assert.equal(ecr.requests.length - ecrBefore, 2);
    assert.equal(JSON.parse(run.stdout).ecrCalls, 2);
    assert.equal(sts.requests.length - stsBefore, 2);
  });

  it('takes a profile of the shared config files for one registry, and a role on the default chain for the other', async () => {
    const namespace = uniqueName('profile');
    await createNamespaces(kube, [namespace]);
    const home = await mkdtemp(join(dir, 'home-'));
    await mkdir(join(home, '.aws'));
    // The profile assumes role B itself (role_arn with source_profile), as ~/.aws/config often does.
    await writeFile(
      join(home, '.aws', 'config'),
      `[profile tenant-b]\nrole_arn = ${roleB}\nsource_profile = base\n`,
    );
    await writeFile(
      join(home, '.aws', 'credentials'),
      `[base]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n`,
    );
    const config = await configFile('profile', [
      { host: HOST_A, roleArn: roleA, externalId: EXTERNAL_ID },
      { host: HOST_B, profile: 'tenant-b' },
    ]);
    const ecrBefore = ecr.requests.length;
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', ecr.url, '-n', namespace, '--output', 'json'],
      { ...userEnv(), HOME: home },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const auths = dockerConfigOf(await readSecret(kube, namespace)).auths;
    assert.equal(auths[HOST_A]?.password, MOTO_PASSWORD);
    assert.equal(auths[HOST_B]?.password, OTHER_PASSWORD);
    assert.equal(ecr.requests.length - ecrBefore, 2);
  });

  it('rejects a profile that no shared AWS file defines with exit 64, naming the registry, before any call or write', async () => {
    const namespace = uniqueName('no-profile');
    await createNamespaces(kube, [namespace]);
    const home = await mkdtemp(join(dir, 'home-'));
    await mkdir(join(home, '.aws'));
    await writeFile(join(home, '.aws', 'config'), '[profile tenant-b]\nregion = eu-west-1\n');
    const config = await configFile('no-profile', [
      { host: HOST_A, profile: 'tenant-b' },
      { host: HOST_B, profile: 'tenant-c' },
    ]);
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', DEAD_ENDPOINT, '-n', namespace],
      {
        ...userEnv(),
        AWS_ENDPOINT_URL_STS: DEAD_ENDPOINT,
        HOME: home,
      },
    );
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^ecr-refresh: registry ${HOST_B.replace(/\./g, '\\.')}: profile: "tenant-c" is in no shared AWS file`,
        'm',
      ),
    );
    assert.doesNotMatch(run.stderr, /tenant-b/);
    assert.equal(
      (await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`)).status,
      404,
    );
  });

  // moto refuses a wrong external id; a missing one it lets pass (its condition check skips absent keys), AWS refuses both.
  it('with another external id than the trust policy requires: exit 2 naming the role and sts:ExternalId, nothing written', async () => {
    const namespace = uniqueName('wrong-external-id');
    await createNamespaces(kube, [namespace]);
    const config = await configFile('wrong-external-id', [
      { host: HOST_A, roleArn: roleA, externalId: 'tenant-43' },
    ]);
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', ecr.url, '-n', namespace, '--output', 'json'],
      userEnv(),
    );
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(
      run.stdout + run.stderr,
      new RegExp(`denied the default AWS identity assuming ${roleA}: AccessDenied`),
    );
    const response = await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`);
    assert.equal(response.status, 404);
  });

  it('rejects a malformed roleArn with exit 64, naming the registry and the key, before any call or write', async () => {
    const namespace = uniqueName('bad-role');
    await createNamespaces(kube, [namespace]);
    const config = await configFile('bad-role', [
      { host: HOST_A, roleArn: 'arn:aws:iam::12345:role/ecr-reader-a' },
      HOST_B,
    ]);
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', DEAD_ENDPOINT, '-n', namespace],
      {
        ...userEnv(),
        AWS_ENDPOINT_URL_STS: DEAD_ENDPOINT,
      },
    );
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      /registry "123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com": roleArn: expected an IAM role ARN like .*, not "arn:aws:iam::12345:role\/ecr-reader-a"/,
    );
    assert.equal(
      (await kube.request('GET', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`)).status,
      404,
    );
  });

  it('rejects an unknown key in a registries entry with exit 64, naming the file and the key', async () => {
    const config = await configFile('typo', [{ host: HOST_A, rolearn: roleA }]);
    const run = await runCli(
      ['k8s', '--config', config, '--endpoint-url', DEAD_ENDPOINT, '-n', 'default'],
      userEnv(),
    );
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(run.stderr, /typo\.yaml: registries\.0: Unrecognized key: "rolearn"/);
  });
});
