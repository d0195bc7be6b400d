import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { noteSecret } from '../support/leak-collector.ts';

/** How the kubeconfig's one user logs in: a Rancher token, or Rancher's `exec` plugin (`kubeconfig-generate-token=false`). */
export type RancherKubeconfigUser =
  | { readonly token: string }
  | {
      readonly exec: {
        /** Rancher's host (`127.0.0.1:<port>`), written as `--server=…`. */
        readonly server: string;
        /** The Rancher user id, written as `--user=…`. */
        readonly user: string;
        /** Written as `--cluster=…` (Rancher adds it when the cluster has an authorized endpoint). */
        readonly clusterId?: string;
        /** Default `rancher`. */
        readonly command?: string;
      };
    };

/** An extra context of an authorized cluster endpoint: `<clusterName>-<suffix>`, straight at the cluster. */
export interface RancherAuthorizedEndpoint {
  /** `fqdn` for the FQDN endpoint, or a node name for the per-node contexts. */
  readonly suffix: string;
  readonly server: string;
  /** PEM of the endpoint's CA; without it the field is omitted, as Rancher does for an empty ACE CA. */
  readonly caPem?: string;
}

/** Options of {@link rancherKubeconfigText}. */
export interface RancherKubeconfigOptions {
  /** The cluster's name in Rancher: names the cluster, the user and the main context. */
  readonly clusterName: string;
  /** The proxy entry: `https://<rancher>/k8s/clusters/<clusterId>`. */
  readonly server: string;
  /** PEM of Rancher's `cacerts` setting; without it no `certificate-authority-data` is written (a publicly trusted CA). */
  readonly caPem?: string;
  readonly user: RancherKubeconfigUser;
  readonly authorizedEndpoints?: readonly RancherAuthorizedEndpoint[];
  /** Default the main context; Rancher 2.12+ may make it the `-fqdn` one. */
  readonly currentContext?: string;
}

// pkg/kubeconfig/kubeconfig.go: the first line holds 49 characters, each next one 76, joined by
// a backslash, a newline and six spaces — an escaped line break inside a double-quoted scalar.
const FIRST_LINE = 49;
const NEXT_LINES = /\S{1,76}/g;
const CERT_DELIMITER = '\\\n      ';

/** base64 of `pem`, folded as Rancher's `formatCertString` does. */
export function formatCertString(pem: string): string {
  const data = Buffer.from(pem).toString('base64');
  if (data.length <= FIRST_LINE) return data;
  return [data.slice(0, FIRST_LINE), ...(data.slice(FIRST_LINE).match(NEXT_LINES) ?? [])].join(
    CERT_DELIMITER,
  );
}

function clusterEntry(name: string, server: string, caPem: string | undefined): string {
  return [
    `- name: "${name}"`,
    '  cluster:',
    `    server: "${server}"`,
    ...(caPem === undefined
      ? []
      : [`    certificate-authority-data: "${formatCertString(caPem)}"`]),
  ].join('\n');
}

function userEntry(name: string, user: RancherKubeconfigUser): string {
  if ('token' in user)
    return [`- name: "${name}"`, '  user:', `    token: "${user.token}"`].join('\n');
  return [
    `- name: "${name}"`,
    '  user:',
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1beta1',
    '      args:',
    '        - token',
    `        - --server=${user.exec.server}`,
    `        - --user=${user.exec.user}`,
    ...(user.exec.clusterId === undefined ? [] : [`        - --cluster=${user.exec.clusterId}`]),
    `      command: ${user.exec.command ?? 'rancher'}`,
  ].join('\n');
}

/**
 * A kubeconfig as Rancher's token template writes it (pkg/kubeconfig/templates.go): YAML text
 * with double-quoted scalars, the CA folded by `formatCertString`, one user shared by the proxy
 * context and the authorized-endpoint contexts.
 */
export function rancherKubeconfigText(options: RancherKubeconfigOptions): string {
  const contexts = [
    { name: options.clusterName, server: options.server, caPem: options.caPem },
    ...(options.authorizedEndpoints ?? []).map((endpoint) => ({
      name: `${options.clusterName}-${endpoint.suffix}`,
      server: endpoint.server,
      caPem: endpoint.caPem,
    })),
  ];
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...contexts.map((context) => clusterEntry(context.name, context.server, context.caPem)),
    '',
    'users:',
    userEntry(options.clusterName, options.user),
    '',
    'contexts:',
    ...contexts.map((context) =>
      [
        `- name: "${context.name}"`,
        '  context:',
        `    user: "${options.clusterName}"`,
        `    cluster: "${context.name}"`,
      ].join('\n'),
    ),
    '',
    `current-context: "${options.currentContext ?? options.clusterName}"`,
    '',
  ].join('\n');
}

/** Writes {@link rancherKubeconfigText} to `path` with mode 0600 and returns the path; the token is noted for the leak check. */
export async function writeRancherKubeconfig(
  path: string,
  options: RancherKubeconfigOptions,
): Promise<string> {
  if ('token' in options.user) noteSecret(options.user.token);
  await writeFile(path, rancherKubeconfigText(options), { mode: 0o600 });
  return path;
}

/**
 * Writes a stand-in for Rancher's CLI into `dir` (created if missing): `<dir>/rancher`, which
 * prints an `ExecCredential` carrying `token` whatever its arguments, as `rancher token` does once
 * logged in. Returns `dir`, to be put in front of PATH.
 */
export async function writeRancherTokenCommand(dir: string, token: string): Promise<string> {
  noteSecret(token);
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: { token },
  });
  await mkdir(dir, { recursive: true });
  const command = join(dir, 'rancher');
  await writeFile(command, `#!/bin/sh\ncat <<'EOF'\n${credential}\nEOF\n`, { mode: 0o700 });
  await chmod(command, 0o700);
  return dir;
}
