import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The files of a throw-away cluster PKI, all inside one directory. */
export interface KubePki {
  caPath: string;
  caKeyPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** Client certificate of `admin` in group `system:masters` (RBAC's built-in superuser group). */
  adminCertPath: string;
  adminKeyPath: string;
  /** ServiceAccount token signing key pair (TokenRequest signs with the key, the server verifies with the pub). */
  serviceAccountKeyPath: string;
  serviceAccountPubPath: string;
}

function openssl(dir: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd: dir }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else
        reject(
          new Error(`openssl ${args[0]} failed: ${stderr.trim() || error.message}`, {
            cause: error,
          }),
        );
    });
  });
}

async function signedCert(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/**
 * Creates a CA, the API server's serving certificate (127.0.0.1 and localhost), the admin's
 * client certificate and the ServiceAccount signing keys with the `openssl` CLI. 30 days, so a
 * long-lived `testenv up` does not outlive its certificates.
 */
export async function createKubePki(dir: string): Promise<KubePki> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=ecr-refresh-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  // Serially: both sign with the CA and share its serial file.
  await signedCert(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await signedCert(dir, 'admin', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  return {
    caPath: join(dir, 'ca.crt'),
    caKeyPath: join(dir, 'ca.key'),
    serverCertPath: join(dir, 'apiserver.crt'),
    serverKeyPath: join(dir, 'apiserver.key'),
    adminCertPath: join(dir, 'admin.crt'),
    adminKeyPath: join(dir, 'admin.key'),
    serviceAccountKeyPath: join(dir, 'sa.key'),
    serviceAccountPubPath: join(dir, 'sa.pub'),
  };
}
