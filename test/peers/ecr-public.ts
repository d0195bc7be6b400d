import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

// moto has no ECR Public backend: this stand-in answers the one call ecr-refresh makes, as the
// AWS API reference documents it, after checking the request the way AWS would reject it.
const TARGET = 'SpencerFrontendService.GetAuthorizationToken';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const REGION = 'us-east-1';
const SERVICE = 'ecr-public';
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)\/(?<date>\d{8})\/(?<region>[^/]+)\/(?<service>[^/]+)\/aws4_request, ?SignedHeaders=(?<headers>[a-z0-9;-]+), ?Signature=(?<signature>[0-9a-f]{64})$/;

/** One request the stand-in saw: who signed it for what, and why it was refused (if it was). */
export interface EcrPublicRequest {
  readonly target: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly region: string | undefined;
  readonly service: string | undefined;
  /** The AWS error type it answered with; undefined for a token. */
  readonly refused: string | undefined;
}

/** Options of {@link startEcrPublicStandIn}. */
export interface EcrPublicStandInOptions {
  /** The one key pair it accepts. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The password inside the tokens it issues (default `ecr-public-<n>`, n counting tokens). */
  readonly password?: (count: number) => string;
  /** Token lifetime in seconds (default 12 h, as AWS documents). */
  readonly lifetimeSeconds?: number;
}

/** The running stand-in: its endpoint, what it saw, and how many tokens it issued. */
export interface EcrPublicStandIn {
  /** `http://127.0.0.1:<port>`: give it as the ECR Public endpoint. */
  readonly endpoint: string;
  readonly requests: readonly EcrPublicRequest[];
  /** The passwords of the tokens issued so far, in order. */
  readonly passwords: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts a loopback stand-in for ECR Public's `GetAuthorizationToken`: it accepts only a POST of
 * `{}` as JSON 1.1 with the target `SpencerFrontendService.GetAuthorizationToken`, SigV4-signed for
 * service `ecr-public` in us-east-1 by the configured key (the signature is recomputed and
 * compared), and answers `{ authorizationData: { authorizationToken, expiresAt } }` with no
 * `proxyEndpoint`, as AWS does. Anything else gets the error AWS would send.
 */
export async function startEcrPublicStandIn(
  options: EcrPublicStandInOptions,
): Promise<EcrPublicStandIn> {
  const requests: EcrPublicRequest[] = [];
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    region: REGION,
    service: SERVICE,
    sha256: Sha256,
  });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const target = header(incoming, 'x-amz-target');
    const scope = AUTHORIZATION.exec(header(incoming, 'authorization') ?? '')?.groups;
    const refused = await problemOf(incoming, body, target, scope);
    requests.push({
      target,
      accessKeyId: scope?.key,
      region: scope?.region,
      service: scope?.service,
      refused: refused?.type,
    });
    if (refused !== undefined) {
      outgoing.writeHead(refused.status, {
        'content-type': CONTENT_TYPE,
        'x-amzn-errortype': refused.type,
      });
      outgoing.end(JSON.stringify({ __type: refused.type, message: refused.message }));
      return;
    }
    const password = options.password?.(passwords.length) ?? `ecr-public-${passwords.length}`;
    passwords.push(password);
    const expiresAt = Math.floor(Date.now() / 1000) + (options.lifetimeSeconds ?? 43_200);
    const authorizationData = {
      authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
      expiresAt,
    };
    outgoing
      .writeHead(200, { 'content-type': CONTENT_TYPE })
      .end(JSON.stringify({ authorizationData }));
  }

  async function problemOf(
    incoming: IncomingMessage,
    body: string,
    target: string | undefined,
    scope: Record<string, string> | undefined,
  ): Promise<{ status: number; type: string; message: string } | undefined> {
    if (incoming.method !== 'POST' || incoming.url !== '/')
      return { status: 404, type: 'UnknownOperationException', message: 'not found' };
    if (scope === undefined)
      return {
        status: 400,
        type: 'MissingAuthenticationTokenException',
        message: 'missing or malformed SigV4 Authorization',
      };
    if (scope.region !== REGION || scope.service !== SERVICE) {
      return {
        status: 403,
        type: 'InvalidSignatureException',
        message: `credential scope names ${scope.region}/${scope.service}`,
      };
    }
    if (scope.key !== options.accessKeyId)
      return {
        status: 400,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    if (!(await signatureMatches(incoming, body, scope)))
      return { status: 403, type: 'InvalidSignatureException', message: 'signature mismatch' };
    if (target !== TARGET)
      return {
        status: 400,
        type: 'UnknownOperationException',
        message: `unknown target ${target ?? '(none)'}`,
      };
    if (header(incoming, 'content-type') !== CONTENT_TYPE)
      return { status: 400, type: 'SerializationException', message: 'expected JSON 1.1' };
    if (JSON.stringify(JSON.parse(body || 'null')) !== '{}')
      return { status: 400, type: 'InvalidParameterException', message: 'expected {}' };
    return undefined;
  }

  /** Signs the request again, with the headers it says it signed, and compares the signatures. */
  async function signatureMatches(
    incoming: IncomingMessage,
    body: string,
    scope: Record<string, string>,
  ): Promise<boolean> {
    const signed = (scope.headers ?? '').split(';');
    const headers = Object.fromEntries(signed.map((name) => [name, header(incoming, name) ?? '']));
    const amzDate = header(incoming, 'x-amz-date') ?? '';
    const iso = amzDate.replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    const [host = '', port] = (header(incoming, 'host') ?? '').split(':');
    const request = {
      method: 'POST',
      protocol: 'http:',
      hostname: host,
      port: Number(port),
      path: '/',
      query: {},
      headers,
      body,
    };
    const again = await signer.sign(request, { signingDate: new Date(iso) });
    return String(again.headers.authorization ?? again.headers.Authorization).endsWith(
      `Signature=${scope.signature}`,
    );
  }

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      outgoing
        .writeHead(500, { 'content-type': CONTENT_TYPE })
        .end(JSON.stringify({ __type: 'ServerException', message: String(error) }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    passwords,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of incoming.setEncoding('utf8')) body += chunk as string;
  return body;
}
