import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kubeconfig } from './kubeconfig.ts';

/** Where a pod finds its ServiceAccount: token (rotated by the kubelet), CA and namespace. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The name of the one context, cluster and user of the in-cluster configuration. */
const IN_CLUSTER_CONTEXT = 'in-cluster';

/** True when running in a pod: the API server's address is in the environment and the ServiceAccount token is mounted (under `root`). */
export function isInCluster(root: string, env: NodeJS.ProcessEnv): boolean {
  return (
    env.KUBERNETES_SERVICE_HOST !== undefined &&
    existsSync(join(root, SERVICE_ACCOUNT_DIR, 'token'))
  );
}

/**
 * The pod's configuration as a kubeconfig, as client-go's `InClusterConfig` builds it: the server
 * from KUBERNETES_SERVICE_HOST/PORT, the mounted CA, the token file (read again as it rotates)
 * and the pod's namespace. `root` prefixes the mounted files (tests). The port may come from
 * `process.env` when `env` lacks it: Kubernetes sets both in every container.
 */
export function inClusterKubeconfig(root: string, env: NodeJS.ProcessEnv): Kubeconfig {
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const namespace = existsSync(join(dir, 'namespace'))
    ? readFileSync(join(dir, 'namespace'), 'utf8').trim()
    : undefined;
  return {
    clusters: [
      {
        name: IN_CLUSTER_CONTEXT,
        server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
        caFile: join(dir, 'ca.crt'),
      },
    ],
    users: [{ name: IN_CLUSTER_CONTEXT, tokenFile: join(dir, 'token') }],
    contexts: [
      {
        name: IN_CLUSTER_CONTEXT,
        cluster: IN_CLUSTER_CONTEXT,
        user: IN_CLUSTER_CONTEXT,
        namespace,
      },
    ],
    currentContext: IN_CLUSTER_CONTEXT,
  };
}
