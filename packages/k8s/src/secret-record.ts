import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  combinedRecord,
  decodeDockerConfig,
  encodeDockerConfig,
  findAuthEntry,
  mergeCredentials,
  registerSecret,
  type CredentialRecord,
  type DockerConfig,
  type RegistryCredential,
} from '@ecr-refresh/core';
import type { KubeSecret } from './kube-api.ts';
import { withMetadata, type SecretMetadata } from './secret-metadata.ts';

/** The type every Secret we write has; Kubernetes never lets a Secret's type change. */
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
const DATA_KEY = '.dockerconfigjson';

/** The label that marks a Secret as ours: without it, a Secret is foreign and left alone. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** The value of {@link MANAGED_BY_LABEL} on every Secret ecr-refresh writes. */
export const MANAGED_BY_VALUE = 'ecr-refresh';

/**
 * On each copy Rancher 2.12+ makes of a project-scoped Secret in the project's namespaces: the copy
 * carries our label and record only because Rancher copied them, and Rancher rewrites it.
 */
export const RANCHER_COPY_ANNOTATION = 'management.cattle.io/project-scoped-secret-copy';

/** Annotations recording what a Secret holds, so a fresh one is left alone without asking ECR. */
export const ANNOTATIONS = {
  hosts: 'ecr-refresh/hosts',
  fetchedAt: 'ecr-refresh/fetched-at',
  expiresAt: 'ecr-refresh/expires-at',
  // A digest of the `auth` fields written: an entry rewritten since by someone else is not trusted.
  authSha256: 'ecr-refresh/auth-sha256',
} as const;

const RecordAnnotations = z.object({
  [ANNOTATIONS.hosts]: z.string().min(1),
  [ANNOTATIONS.fetchedAt]: z.iso.datetime(),
  [ANNOTATIONS.expiresAt]: z.iso.datetime(),
  [ANNOTATIONS.authSha256]: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Whether the Secret carries our label. */
export function isManagedByUs(secret: KubeSecret): boolean {
  return secret.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/**
 * The docker config a Secret holds, or `{}` when it has none. `where` names the Secret in the
 * error; throws a `ConfigError` when `.dockerconfigjson` is not base64 JSON of a docker config.
 */
export function dockerConfigOf(secret: KubeSecret | undefined, where: string): DockerConfig {
  const encoded = secret?.data?.[DATA_KEY];
  if (typeof encoded !== 'string') return {};
  return decodeDockerConfig(
    Buffer.from(encoded, 'base64').toString('utf8'),
    `${where} ${DATA_KEY}`,
  );
}

/**
 * The record our annotations hold, trusted only when every recorded host still has the `auth`
 * we wrote; undefined when the Secret has no valid record (so it is refreshed).
 */
export function recordOf(secret: KubeSecret, config: DockerConfig): CredentialRecord | undefined {
  const parsed = RecordAnnotations.safeParse(secret.metadata?.annotations ?? {});
  if (!parsed.success) return undefined;
  const annotations = parsed.data;
  const hosts = annotations[ANNOTATIONS.hosts].split(',');
  const auths = hosts.map((host) => findAuthEntry(config, host)?.auth);
  if (auths.some((auth) => auth === undefined)) return undefined;
  if (authDigest(hosts, auths as string[]) !== annotations[ANNOTATIONS.authSha256])
    return undefined;
  return {
    hosts,
    fetchedAt: new Date(annotations[ANNOTATIONS.fetchedAt]),
    expiresAt: new Date(annotations[ANNOTATIONS.expiresAt]),
  };
}

/** Whether a watched Secret still holds a record we trust: our own writes always do, an edit by someone else may not. */
export function holdsValidRecord(secret: KubeSecret): boolean {
  try {
    return recordOf(secret, dockerConfigOf(secret, 'the watched Secret')) !== undefined;
  } catch {
    // Not even a docker config any more: altered for sure.
    return false;
  }
}

/**
 * The Secret to write: `existing` (when there is one) with our credentials merged into its docker
 * config (every other registry kept), the target's extra labels and annotations (`metadata`, see
 * `secret-metadata.ts`), then our label, the target's labels and record annotations set over them,
 * and everything else — other labels, annotations, data keys, owner references,
 * `resourceVersion` — kept as it was.
 */
export function secretToWrite(
  existing: KubeSecret | undefined,
  target: {
    namespace: string;
    name: string;
    labels?: Readonly<Record<string, string>> | undefined;
    metadata: SecretMetadata;
  },
  config: DockerConfig,
  credentials: readonly RegistryCredential[],
  email: string | undefined,
): KubeSecret {
  const merged = encodeDockerConfig(mergeCredentials(config, credentials, email));
  const encoded = Buffer.from(merged).toString('base64');
  // The whole encoded document contains the passwords in base64; it must never reach a log.
  registerSecret(encoded);
  const record = combinedRecord(credentials);
  const metadata = existing?.metadata ?? {};
  const extra = withMetadata(metadata, target.metadata);
  return {
    ...existing,
    apiVersion: 'v1',
    kind: 'Secret',
    type: DOCKER_CONFIG_JSON_TYPE,
    metadata: {
      ...metadata,
      name: target.name,
      namespace: target.namespace,
      labels: { ...extra.labels, ...target.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: {
        ...extra.annotations,
        [ANNOTATIONS.hosts]: record.hosts.join(','),
        [ANNOTATIONS.fetchedAt]: record.fetchedAt.toISOString(),
        [ANNOTATIONS.expiresAt]: record.expiresAt.toISOString(),
        [ANNOTATIONS.authSha256]: authDigest(
          credentials.map((credential) => credential.host),
          credentials.map((credential) => credential.auth),
        ),
      },
    },
    data: { ...existing?.data, [DATA_KEY]: encoded },
  };
}

function authDigest(hosts: readonly string[], auths: readonly string[]): string {
  const lines = hosts.map((host, index) => `${host}=${auths[index] ?? ''}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
