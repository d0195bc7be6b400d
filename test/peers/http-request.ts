import {
  request as httpRequestRaw,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

/** A peer's answer, read whole: peers answer small bodies. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link httpRequest}; `tls` carries the CA and client certificate for https URLs. */
export interface HttpRequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  /** TLS options of node's client; `servername` is the name the certificate is checked against. */
  tls?: {
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
    servername?: string;
  };
  timeoutMs?: number;
}

/**
 * One HTTP(S) request to a loopback peer with node's own client (no keep-alive agent, so no
 * socket outlives the test). Resolves for every status; rejects only on transport errors.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        timeout: options.timeoutMs ?? 30_000,
        ...options.tls,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('error', reject);
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.once('timeout', () =>
      req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer in time`)),
    );
    req.once('error', reject);
    req.end(options.body);
  });
}
