import { readFile } from 'node:fs/promises';
import { httpRequest } from '../http-request.ts';

/**
 * An API server answer: the status and the body parsed as JSON (the raw text when it is not
 * JSON). `any` by default on purpose: tests read deep into Kubernetes objects and assert on them.
 */
export interface KubeResponse<T = any> {
  status: number;
  body: T;
}

/** Options of {@link KubeAdminClient.request}. */
export interface KubeRequestOptions {
  /** Default `application/json`; PATCH needs e.g. `application/json-patch+json`. */
  contentType?: string;
}

/** Requests as the cluster admin (client certificate in `system:masters`). */
export interface KubeAdminClient {
  /** Any API call; resolves for every status, so tests can assert 403, 409 and 422. */
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: KubeRequestOptions,
  ): Promise<KubeResponse<T>>;
  /** Creates a namespace; rejects unless the server answers 201. */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /**
   * Issues a bound token through the TokenRequest API, creating the ServiceAccount first if it
   * is missing. The server refuses `expirationSeconds` below 600.
   */
  createServiceAccountToken(
    namespace: string,
    serviceAccount: string,
    options?: { expirationSeconds?: number },
  ): Promise<string>;
}

/** Connection facts of the admin client. */
export interface KubeAdminConnection {
  server: string;
  caPath: string;
  certPath: string;
  keyPath: string;
}

function expectStatus(response: KubeResponse, expected: readonly number[], what: string): void {
  if (!expected.includes(response.status)) {
    const message = typeof response.body === 'object' ? response.body?.message : response.body;
    throw new Error(`${what}: HTTP ${response.status} ${message ?? ''}`.trim());
  }
}

/** Builds the admin client; reads the certificate files once. */
export async function createKubeAdminClient(
  connection: KubeAdminConnection,
): Promise<KubeAdminClient> {
  const tls = {
    ca: await readFile(connection.caPath),
    cert: await readFile(connection.certPath),
    key: await readFile(connection.keyPath),
  };

  const request: KubeAdminClient['request'] = async (method, path, body, options = {}) => {
    const response = await httpRequest(new URL(path, connection.server).toString(), {
      method,
      tls,
      headers: {
        accept: 'application/json',
        ...(body === undefined
          ? {}
          : { 'content-type': options.contentType ?? 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown = response.body;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      // Not JSON (e.g. /readyz's "ok"): keep the text.
    }
    return { status: response.status, body: parsed as never };
  };

  return {
    request,
    async createNamespace(name, labels = {}) {
      const response = await request('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      });
      expectStatus(response, [201], `create namespace ${name}`);
    },
    async createServiceAccountToken(namespace, serviceAccount, options = {}) {
      const accounts = `/api/v1/namespaces/${namespace}/serviceaccounts`;
      const created = await request('POST', accounts, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: serviceAccount },
      });
      expectStatus(created, [201, 409], `create serviceaccount ${namespace}/${serviceAccount}`);
      const tokenRequest = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: options.expirationSeconds ?? 3600 },
      };
      const response = await request('POST', `${accounts}/${serviceAccount}/token`, tokenRequest);
      expectStatus(response, [201], `token for ${namespace}/${serviceAccount}`);
      const token: unknown = response.body?.status?.token;
      if (typeof token !== 'string' || token === '')
        throw new Error(`token for ${namespace}/${serviceAccount}: no status.token in the answer`);
      return token;
    },
  };
}
