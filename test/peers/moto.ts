import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { noteSecret } from '../support/leak-collector.ts';
import { freePort } from './free-port.ts';
import { httpRequest } from './http-request.ts';
import { logTail } from './log-tail.ts';
import { launchPeer, type PeerStartOptions } from './peer-launch.ts';
import type { PeerRecord } from './peer-record.ts';
import { runScript } from './run-script.ts';
import { waitUntil } from './wait-until.ts';

/** An access key of a moto IAM user, valid once IAM auth is on. */
export interface MotoIamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  /** `arn:aws:iam::<accountId>:user/<userName>`: the principal a role's trust policy names. */
  arn: string;
}

/** Temporary credentials of an assumed role, as STS returns them. */
export interface MotoTemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

/** Options of {@link Moto.createRole}. */
export interface MotoRoleOptions {
  name: string;
  /** The account the role lives in (default moto's); moto serves every account. */
  accountId?: string;
  /** The role's trust policy (moto checks it, conditions on sts:ExternalId included, for roles of the caller's account). */
  trustPolicy: object;
  /** IAM actions the role's inline policy allows on `*`. */
  actions: string[];
}

/** Options of {@link Moto.enableIamAuth}. */
export interface MotoIamAuthOptions {
  /** IAM actions the user's inline policy allows on `*`; default `ecr:GetAuthorizationToken` and `ecr:*`. */
  actions?: string[];
}

/** A running moto server on loopback. */
export interface Moto {
  /** `http://127.0.0.1:<port>`: the SDK's `endpoint` / AWS_ENDPOINT_URL. */
  endpoint: string;
  /** moto's default account: GetAuthorizationToken answers for `<accountId>.dkr.ecr.<region>.amazonaws.com`. */
  accountId: string;
  /**
   * Creates an IAM user with an access key and an inline policy, then turns SigV4 checking on
   * for every later request: unknown keys get InvalidClientTokenId, wrong secrets
   * SignatureDoesNotMatch, missing permissions AccessDenied. Callable again (auth is turned off
   * for the setup calls, then on again); earlier keys stay valid.
   */
  enableIamAuth(options?: MotoIamAuthOptions): Promise<MotoIamCredentials>;
  /** Back to moto's default: any credentials are accepted. */
  disableIamAuth(): Promise<void>;
  /**
   * Creates an IAM role with a trust policy and an inline policy (with auth off for the setup
   * calls, and back as it was after); returns its ARN.
   */
  createRole(options: MotoRoleOptions): Promise<string>;
  /**
   * Lets the next `count` requests pass unchecked, then checks every later one: an unsigned first
   * call (AssumeRoleWithWebIdentity) passes, the calls made with its credentials are checked.
   */
  checkAuthAfter(count: number): Promise<void>;
  /**
   * Assumes a role as any caller would (auth off for the call, back as it was after), and returns
   * the temporary credentials: what the EKS Auth API hands the Pod Identity agent.
   */
  assumeRole(roleArn: string): Promise<MotoTemporaryCredentials>;
  /** Forgets all state (IAM users included) and turns auth off: `/moto-api/reset` alone leaves auth on, with no user left to pass it. */
  reset(): Promise<void>;
  stop(): Promise<void>;
  record: PeerRecord;
}

/** moto's fixed account id (it can be changed with MOTO_ACCOUNT_ID, which these tests do not). */
export const MOTO_ACCOUNT_ID = '123456789012';
const MOTO_INSTALL_SCRIPT = join(import.meta.dirname, 'moto', 'install.sh');

/** Installs moto's server from PyPI when `python3` cannot import it (see moto/install.sh). */
export async function ensureMoto(): Promise<void> {
  const importable = await new Promise<boolean>((resolve) => {
    execFile('python3', ['-c', 'import moto.server'], (error) => resolve(error === null));
  });
  if (!importable) await runScript(MOTO_INSTALL_SCRIPT);
}

/**
 * Sets moto's INITIAL_NO_AUTH_ACTION_COUNT: `0` checks every later request, `inf` none.
 * The body must not be sent as a form: moto reads the raw body, which Flask empties for
 * form content types (curl's default `-d` gets a 500 "could not convert string to float").
 */
async function setAuthCount(endpoint: string, count: '0' | 'inf' | `${number}`): Promise<void> {
  const response = await httpRequest(`${endpoint}/moto-api/reset-auth`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: count,
  });
  if (response.status !== 200)
    throw new Error(`moto reset-auth ${count}: HTTP ${response.status} ${response.body}`);
}

/**
 * One IAM (or STS) Query API call while auth is off. Unsigned: moto routes by the service named in the
 * Authorization header's credential scope and checks no signature until auth is on.
 */
async function iamCall(
  endpoint: string,
  params: Record<string, string>,
  accountId = MOTO_ACCOUNT_ID,
  service: 'iam' | 'sts' = 'iam',
): Promise<string> {
  const response = await httpRequest(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto's way to act in another account than its default one.
      'x-moto-account-id': accountId,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
  });
  if (response.status !== 200)
    throw new Error(`moto IAM ${params.Action}: HTTP ${response.status} ${response.body}`);
  return response.body;
}

function xmlText(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (match?.[1] === undefined)
    throw new Error(`moto answered without <${tag}>: ${xml.slice(0, 300)}`);
  return match[1];
}

let userSequence = 0;

async function createIamUser(endpoint: string, actions: string[]): Promise<MotoIamCredentials> {
  userSequence += 1;
  const userName = `ecr-refresh-test-${process.pid}-${userSequence}`;
  await iamCall(endpoint, { Action: 'CreateUser', UserName: userName });
  const keyXml = await iamCall(endpoint, { Action: 'CreateAccessKey', UserName: userName });
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
  };
  await iamCall(endpoint, {
    Action: 'PutUserPolicy',
    UserName: userName,
    PolicyName: 'ecr-refresh-test',
    PolicyDocument: JSON.stringify(policy),
  });
  const secretAccessKey = xmlText(keyXml, 'SecretAccessKey');
  noteSecret(secretAccessKey);
  return {
    accessKeyId: xmlText(keyXml, 'AccessKeyId'),
    secretAccessKey,
    userName,
    arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/${userName}`,
  };
}

async function assumeIamRole(endpoint: string, roleArn: string): Promise<MotoTemporaryCredentials> {
  const params = {
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: 'pod-identity',
  };
  const xml = await iamCall(endpoint, params, MOTO_ACCOUNT_ID, 'sts');
  const credentials = {
    accessKeyId: xmlText(xml, 'AccessKeyId'),
    secretAccessKey: xmlText(xml, 'SecretAccessKey'),
    sessionToken: xmlText(xml, 'SessionToken'),
    expiration: xmlText(xml, 'Expiration'),
  };
  noteSecret(credentials.secretAccessKey);
  noteSecret(credentials.sessionToken);
  return credentials;
}

async function createIamRole(endpoint: string, options: MotoRoleOptions): Promise<string> {
  const accountId = options.accountId ?? MOTO_ACCOUNT_ID;
  const roleXml = await iamCall(
    endpoint,
    {
      Action: 'CreateRole',
      RoleName: options.name,
      AssumeRolePolicyDocument: JSON.stringify(options.trustPolicy),
    },
    accountId,
  );
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: options.actions, Resource: '*' }],
  };
  await iamCall(
    endpoint,
    {
      Action: 'PutRolePolicy',
      RoleName: options.name,
      PolicyName: 'ecr-refresh-test',
      PolicyDocument: JSON.stringify(policy),
    },
    accountId,
  );
  return xmlText(roleXml, 'Arn');
}

/**
 * The ECR password moto hands out (GetAuthorizationToken answers base64 of `AWS:<password>`),
 * and that `AWS:<password>` pair, whose base64 is the docker `auth` string: both for the leak check.
 */
function noteMotoPassword(accountId: string): void {
  const password = `${accountId}-auth-token`;
  noteSecret(password);
  noteSecret(`AWS:${password}`);
}

/** Starts `python3 -m moto.server` on a free loopback port (installing moto if needed); resolves once it answers. */
export async function startMoto(options: PeerStartOptions = {}): Promise<Moto> {
  await ensureMoto();
  noteMotoPassword(MOTO_ACCOUNT_ID);
  return launchPeer('moto', options, async (launch) => {
    const dir = await launch.makeDir();
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const server = launch.spawn(
      'python3',
      ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
      {
        cwd: dir,
        logPath: join(dir, 'moto.log'),
        // Unbuffered, so the log shows a startup failure before we give up on it.
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      },
    );
    await waitUntil(
      async () => (await httpRequest(`${endpoint}/moto-api/`, { timeoutMs: 2000 })).status === 200,
      {
        what: 'moto',
        timeoutMs: 30_000,
        abortIf: () => server.exitReason(),
      },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logTail(server.logPath)}`, { cause: error });
    });
    let authOn = false;
    return {
      endpoint,
      accountId: MOTO_ACCOUNT_ID,
      async enableIamAuth(authOptions = {}) {
        await setAuthCount(endpoint, 'inf');
        const credentials = await createIamUser(
          endpoint,
          authOptions.actions ?? ['ecr:GetAuthorizationToken', 'ecr:*'],
        );
        await setAuthCount(endpoint, '0');
        authOn = true;
        return credentials;
      },
      async disableIamAuth() {
        await setAuthCount(endpoint, 'inf');
        authOn = false;
      },
      async createRole(roleOptions) {
        await setAuthCount(endpoint, 'inf');
        const arn = await createIamRole(endpoint, roleOptions);
        if (authOn) await setAuthCount(endpoint, '0');
        return arn;
      },
      async assumeRole(roleArn) {
        await setAuthCount(endpoint, 'inf');
        const credentials = await assumeIamRole(endpoint, roleArn);
        if (authOn) await setAuthCount(endpoint, '0');
        return credentials;
      },
      async checkAuthAfter(count) {
        await setAuthCount(endpoint, `${count}`);
        authOn = true;
      },
      async reset() {
        const response = await httpRequest(`${endpoint}/moto-api/reset`, { method: 'POST' });
        if (response.status !== 200)
          throw new Error(`moto reset: HTTP ${response.status} ${response.body}`);
        await setAuthCount(endpoint, 'inf');
        authOn = false;
      },
      stop: () => launch.stop(),
      record: launch.record,
    };
  });
}
