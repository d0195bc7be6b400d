import { execFile } from 'node:child_process';
import * as z from 'zod';
import { describeSchemaIssues, registerSecret } from '@ecr-refresh/core';
import type { KubeCluster, KubeExec } from './kubeconfig.ts';

/** The ExecCredential versions ecr-refresh speaks (kubectl dropped v1alpha1 in 1.24). */
export const EXEC_API_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
] as const;

/** What a credential plugin gave: a bearer token and/or a client certificate, and until when. */
export interface ExecCredential {
  readonly token?: string | undefined;
  readonly clientCertificateData?: string | undefined;
  readonly clientKeyData?: string | undefined;
  /** Epoch milliseconds; undefined: valid until the server refuses it (401). */
  readonly expiresAt?: number | undefined;
}

// A plugin that has not answered by then is stuck (waiting for a login it cannot get: stdin is closed).
const EXEC_TIMEOUT_MS = 60_000;
// A credential this close to its expiry is not used any more: a request may take that long.
const EXPIRY_MARGIN_MS = 10_000;
// The most of a plugin's output that is read; an ExecCredential is a few KB.
const MAX_OUTPUT_BYTES = 1024 * 1024;

const execCredentialSchema = z.looseObject({
  apiVersion: z.enum(EXEC_API_VERSIONS),
  kind: z.literal('ExecCredential'),
  status: z
    .looseObject({
      token: z.string().optional(),
      clientCertificateData: z.string().optional(),
      clientKeyData: z.string().optional(),
      expirationTimestamp: z.iso.datetime({ offset: true }).optional(),
    })
    .refine(
      (status) =>
        status.token !== undefined ||
        (status.clientCertificateData !== undefined && status.clientKeyData !== undefined),
      'holds neither a token nor a client certificate and key',
    ),
});

/**
 * Runs a kubeconfig user's credential plugin (`exec`) and returns its ExecCredential, checked.
 * Never interactive: stdin is closed and KUBERNETES_EXEC_INFO says `interactive: false`, so a
 * plugin that would prompt fails instead of hanging a service. `env` is the environment the
 * plugin inherits (its own `env` entries win). The token and key are registered for redaction
 * at once. Throws an Error naming the command, never the plugin's output.
 */
export async function runExecCredentialPlugin(
  exec: KubeExec,
  cluster: KubeCluster,
  env: NodeJS.ProcessEnv,
): Promise<ExecCredential> {
  const command = exec.command ?? '';
  const apiVersion = exec.apiVersion ?? EXEC_API_VERSIONS[0];
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo === true ? { cluster: clusterInfo(cluster) } : {}),
    },
  };
  const pluginEnv = {
    ...env,
    ...Object.fromEntries((exec.env ?? []).map(({ name, value }) => [name, value])),
    KUBERNETES_EXEC_INFO: JSON.stringify(info),
  };
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      command,
      [...(exec.args ?? [])],
      { env: pluginEnv, timeout: EXEC_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        const code = (error as { code?: unknown }).code;
        const why =
          typeof code === 'number'
            ? `exited with ${code}`
            : error.killed
              ? 'timed out'
              : `failed (${String(code ?? error.message)})`;
        // Its last line of stderr usually says why ("not logged in"); a plugin prints no secret there.
        const said = stderr.trim().split('\n').at(-1)?.slice(0, 200);
        reject(new Error(`credential plugin "${command}" ${why}${said ? `: ${said}` : ''}`));
      },
    );
    child.stdin?.end();
  });
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    throw new Error(`credential plugin "${command}" printed no JSON ExecCredential`);
  }
  const parsed = execCredentialSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `credential plugin "${command}" printed no valid ExecCredential (${describeSchemaIssues(parsed.error.issues, { root: 'answer' }).join('; ')})`,
    );
  if (parsed.data.apiVersion !== apiVersion)
    throw new Error(
      `credential plugin "${command}" answered ${parsed.data.apiVersion}, not the ${apiVersion} it was asked for`,
    );
  const { token, clientCertificateData, clientKeyData, expirationTimestamp } = parsed.data.status;
  registerSecret(token);
  registerSecret(clientKeyData);
  return {
    token,
    clientCertificateData,
    clientKeyData,
    expiresAt: expirationTimestamp === undefined ? undefined : Date.parse(expirationTimestamp),
  };
}

/** True while `credential` may still be used at `now`. */
export function isCurrent(credential: ExecCredential, now: number): boolean {
  return credential.expiresAt === undefined || credential.expiresAt - EXPIRY_MARGIN_MS > now;
}

// `spec.cluster` of KUBERNETES_EXEC_INFO when the plugin asks for it (provideClusterInfo).
function clusterInfo(cluster: KubeCluster): Record<string, unknown> {
  return {
    server: cluster.server,
    ...(cluster.tlsServerName === undefined ? {} : { 'tls-server-name': cluster.tlsServerName }),
    ...(cluster.skipTLSVerify === true ? { 'insecure-skip-tls-verify': true } : {}),
    ...(cluster.caData === undefined ? {} : { 'certificate-authority-data': cluster.caData }),
    ...(cluster.proxyUrl === undefined ? {} : { 'proxy-url': cluster.proxyUrl }),
  };
}
