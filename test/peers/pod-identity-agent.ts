import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The credentials the stand-in hands out: what EKS Auth's AssumeRoleForPodIdentity returns to the agent. */
export interface PodIdentityCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601, as STS returns it. */
  expiration: string;
  accountId: string;
}

/** One request the stand-in answered. */
export interface PodIdentityRequest {
  readonly path: string;
  readonly status: number;
}

/** A loopback stand-in for the EKS Pod Identity agent. */
export interface PodIdentityAgent {
  /** `http://127.0.0.1:<port>/v1/credentials`: what EKS sets as AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly url: string;
  readonly requests: readonly PodIdentityRequest[];
  stop(): Promise<void>;
}

/**
 * Starts a stand-in for the EKS Pod Identity agent on 127.0.0.1 (the real one listens on
 * 169.254.170.23:80, which the SDK allows as it allows loopback). As the agent does, it serves
 * `GET /v1/credentials`, takes the pod's projected ServiceAccount token from the `Authorization`
 * header as is (no `Bearer`), and answers `{AccessKeyId, SecretAccessKey, Token, AccountId,
 * Expiration}` as JSON; a missing token is a 400, a token other than the one in `tokenFile` (the
 * token EKS Auth would accept) a 403, another path a 404.
 */
export async function startPodIdentityAgent(
  tokenFile: string,
  credentials: PodIdentityCredentials,
): Promise<PodIdentityAgent> {
  const requests: PodIdentityRequest[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const path = request.url ?? '/';
      const expected = (await readFile(tokenFile, 'utf8')).trim();
      const [status, body] = answer(
        request.method,
        path,
        request.headers.authorization,
        expected,
        credentials,
      );
      requests.push({ path, status });
      response
        .writeHead(status, {
          'content-type': status === 200 ? 'application/json' : 'text/plain; charset=utf-8',
        })
        .end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(
  method: string | undefined,
  path: string,
  token: string | undefined,
  expected: string,
  credentials: PodIdentityCredentials,
): [number, string] {
  if (method !== 'GET' || path !== '/v1/credentials') return [404, '404 page not found'];
  if (token === undefined || token === '') return [400, 'Service account token cannot be empty'];
  if (token !== expected) return [403, 'Access Denied. Invalid service account token'];
  return [200, agentAnswer(credentials)];
}

function agentAnswer(credentials: PodIdentityCredentials): string {
  return JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken,
    AccountId: credentials.accountId,
    Expiration: credentials.expiration,
  });
}
