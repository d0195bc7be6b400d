import { X509Certificate } from 'node:crypto';
import type { KubeCluster } from './transport/kubeconfig.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
// What Go's html/template made of each "+" in the kubeconfig Rancher's UI offered for download
// (rancher/rancher#30412, #37325).
const HTML_ESCAPED_PLUS = '&#43;';

/**
 * What is wrong with a cluster's `certificate-authority-data`, or undefined when it is absent or
 * holds base64 of a PEM certificate. Rancher folds the value over several lines of a double-quoted
 * YAML scalar (a backslash, a newline and six spaces), which the YAML parser joins again; a value
 * pasted by hand or edited with a line-based tool keeps backslashes or entities, and the client
 * would silently decode them into a CA that matches nothing — every request then fails with a
 * certificate error that does not say the kubeconfig is at fault.
 */
export function certificateAuthorityDataProblem(cluster: KubeCluster): string | undefined {
  const data = cluster.caData;
  if (data === undefined || data === '') return undefined;
  const compact = data.replace(/\s+/g, '');
  const what = `certificate-authority-data of cluster "${cluster.name}"`;
  if (!BASE64.test(compact)) {
    if (compact.includes(HTML_ESCAPED_PLUS))
      return `${what} is not base64: it contains "${HTML_ESCAPED_PLUS}" (an HTML-escaped "+"); replace each with "+"`;
    const bad = /[^A-Za-z0-9+/=]/.exec(compact);
    return `${what} is not base64 (${bad === null ? 'misplaced "="' : `"${bad[0]}" at character ${bad.index + 1}`})`;
  }
  const pem = PEM_CERTIFICATE.exec(Buffer.from(compact, 'base64').toString('latin1'))?.[0];
  if (pem === undefined)
    return `${what} is base64 but holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  try {
    new X509Certificate(pem);
  } catch {
    return `${what} holds a PEM block that is not a valid certificate`;
  }
  return undefined;
}
