import { KubernetesApiError } from './errors.ts';
import type { KubeApi } from './kube-api.ts';

/** Where a context's requests go and as whom: what its failures are explained with. */
export interface ConnectionFacts {
  /** The kubeconfig cluster's `server`, path included (Rancher's `…/k8s/clusters/<id>`). */
  readonly server: string;
  /** The kubeconfig user's name. */
  readonly user: string;
}

// Node's messages for a certificate it does not trust: "unable to verify the first certificate",
// "self-signed certificate in certificate chain", "certificate has expired", …
const CERTIFICATE_FAILURE = /certificate|self[- ]signed/i;

/**
 * `api` whose failures say what the context's kubeconfig has to do with them. The request
 * errors name the method and the path only; with several contexts, and with Rancher's proxy where
 * contexts of one kubeconfig differ only in the server, the reader also needs the server: a
 * request that got no answer names it, and an untrusted certificate says where the CA can be given
 * (`certificate-authority-data`, which Rancher omits for a publicly trusted CA, or
 * NODE_EXTRA_CA_CERTS, which Node adds to its trust store); a 401 — whose answer the client
 * drops, reason and all — names the server and the kubeconfig user it refused.
 */
export function withExplainedFailures(api: KubeApi, facts: ConnectionFacts): KubeApi {
  const explain = (error: unknown): unknown =>
    error instanceof KubernetesApiError ? explained(error, facts) : error;
  // A proxy rather than a copy of the methods: it serves any implementation (an object or a class
  // instance) and every call the interface gains.
  return new Proxy(api, {
    get(target, property, receiver) {
      const member: unknown = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') return member;
      if (property === 'watch') {
        return async function* watch(...args: unknown[]) {
          try {
            yield* member.apply(target, args) as AsyncIterable<unknown>;
          } catch (error) {
            throw explain(error);
          }
        };
      }
      return async (...args: unknown[]) => {
        try {
          return await member.apply(target, args);
        } catch (error) {
          throw explain(error);
        }
      };
    },
  });
}

function explained(error: KubernetesApiError, facts: ConnectionFacts): KubernetesApiError {
  const explanation = explanationOf(error, facts);
  return explanation === undefined
    ? error
    : new KubernetesApiError(error.target, error, `${error.message}: ${explanation}`, {
        cause: error,
      });
}

function explanationOf(
  error: KubernetesApiError,
  { server, user }: ConnectionFacts,
): string | undefined {
  if (error.status === 401)
    return `${server} did not accept the credentials of kubeconfig user "${user}" (an expired, revoked or mistyped token?)`;
  if (error.status !== undefined) return undefined;
  if (CERTIFICATE_FAILURE.test(error.message)) {
    return `the TLS certificate of ${server} is not trusted: give its CA as certificate-authority-data in the kubeconfig, or in a file named by NODE_EXTRA_CA_CERTS`;
  }
  return `server ${server}`;
}
