import { writeFile } from 'node:fs/promises';

/** Who a kubeconfig logs in as: the admin's client certificate, or a bearer token. */
export type KubeconfigUser = { clientCertificate: string; clientKey: string } | { token: string };

/** Options of {@link writeKubeconfig}. */
export interface KubeconfigOptions {
  server: string;
  caPath: string;
  user: KubeconfigUser;
  /** The context's default namespace. */
  namespace?: string;
  /** Cluster, user and context name; default `ecr-refresh-test`. */
  name?: string;
}

/**
 * Writes a one-context kubeconfig (JSON, which is valid kubeconfig YAML) with mode 0600, as it
 * may carry a token. Paths are absolute, so the file works from any working directory.
 */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  const name = options.name ?? 'ecr-refresh-test';
  const user =
    'token' in options.user
      ? { token: options.user.token }
      : {
          'client-certificate': options.user.clientCertificate,
          'client-key': options.user.clientKey,
        };
  const context = {
    cluster: name,
    user: name,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
  };
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: options.server, 'certificate-authority': options.caPath } },
    ],
    users: [{ name, user }],
    contexts: [{ name, context }],
    'current-context': name,
  };
  await writeFile(path, `${JSON.stringify(kubeconfig, null, 2)}\n`, { mode: 0o600 });
  return path;
}
