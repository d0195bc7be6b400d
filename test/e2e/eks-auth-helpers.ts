// What EKS gives a pod, made for moto: a role of another account that IRSA (web identity) or EKS
// Pod Identity lets the pod assume, and a projected ServiceAccount token. Shared by the CLI and the
// image suites.
import type { Moto } from '../peers/index.ts';
import { noteSecret } from '../support/leak-collector.ts';

/** The role's account: moto answers GetAuthorizationToken with `<account>-auth-token` for its keys. */
export const EKS_ACCOUNT = '210987654321';
export const EKS_PASSWORD = `${EKS_ACCOUNT}-auth-token`;
export const EKS_HOST = `${EKS_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
/** Where EKS mounts the tokens, and the variables it sets. */
export const IRSA_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
export const POD_IDENTITY_TOKEN_DIR = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
/** Variables that would give static keys: none may be set for these tests to prove anything. */
export const STATIC_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'ECR_REFRESH_ACCESS_KEY',
  'ECR_REFRESH_SECRET_KEY',
];

const OIDC_PROVIDER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const SERVICE_ACCOUNT = 'system:serviceaccount:ecr-refresh:ecr-refresh';

/** Notes the role account's ECR password for the leak check. */
export function noteEksPassword(): void {
  noteSecret(EKS_PASSWORD);
  noteSecret(`AWS:${EKS_PASSWORD}`);
}

/** A token shaped like a projected ServiceAccount token (moto does not verify its signature); noted as a secret. */
export function serviceAccountToken(audience: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    iss: `https://${OIDC_PROVIDER}`,
    sub: SERVICE_ACCOUNT,
    aud: [audience],
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  const signature = Buffer.from(`signature-${process.pid}-${audience}-${Math.random()}`).toString(
    'base64url',
  );
  const token = `${part({ alg: 'RS256', kid: 'test' })}.${part(claims)}.${signature}`;
  noteSecret(token);
  return token;
}

async function createReaderRole(moto: Moto, name: string, trustStatement: object): Promise<string> {
  return moto.createRole({
    name,
    accountId: EKS_ACCOUNT,
    trustPolicy: { Version: '2012-10-17', Statement: [trustStatement] },
    actions: ['ecr:GetAuthorizationToken'],
  });
}

/** The IRSA role: its trust policy admits the cluster's OIDC provider for the ServiceAccount. */
export function createIrsaRole(moto: Moto): Promise<string> {
  return createReaderRole(moto, 'irsa-ecr-reader', {
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${EKS_ACCOUNT}:oidc-provider/${OIDC_PROVIDER}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        [`${OIDC_PROVIDER}:sub`]: SERVICE_ACCOUNT,
        [`${OIDC_PROVIDER}:aud`]: 'sts.amazonaws.com',
      },
    },
  });
}

/** The Pod Identity role (trusting pods.eks.amazonaws.com), assumed as EKS Auth does for the agent. */
export async function podIdentityCredentials(moto: Moto) {
  const roleArn = await createReaderRole(moto, 'pod-identity-ecr-reader', {
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
  });
  return { ...(await moto.assumeRole(roleArn)), accountId: EKS_ACCOUNT };
}
