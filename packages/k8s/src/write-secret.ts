import {
  SinkWriteError,
  combinedRecord,
  type ApplyContext,
  type CredentialRecord,
  type RegistryCredential,
} from '@ecr-refresh/core';
import { SecretConflictError } from './errors.ts';
import {
  objectReferenceOf,
  type KubeApi,
  type KubeObjectReference,
  type KubeSecret,
} from './kube-api.ts';
import { retryConflicts } from './retry-conflicts.ts';
import { carriesMetadata, NO_METADATA, type SecretMetadata } from './secret-metadata.ts';
import {
  DOCKER_CONFIG_JSON_TYPE,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  RANCHER_COPY_ANNOTATION,
  dockerConfigOf,
  isManagedByUs,
  recordOf,
  secretToWrite,
} from './secret-record.ts';

/** The Secret to keep current in one namespace. */
export interface SecretTarget {
  readonly namespace: string;
  readonly name: string;
  /** The sink writing it (`k8s`, `rancher2`), as its errors name it. */
  readonly sink: string;
  /** `<context>/<namespace>` (`<context>/<cluster>:<project>` for rancher2), for errors. */
  readonly target: string;
  /** Labels the Secret must carry besides ours (Rancher's project-scoped-secret label, say). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The user's extra labels and annotations (`--secret-label`, `--secret-annotation`); default none. */
  readonly metadata?: SecretMetadata | undefined;
}

/** What {@link writeSecret} did. */
export interface SecretOutcome {
  readonly action: 'created' | 'updated' | 'unchanged';
  readonly record: CredentialRecord;
  readonly reason?: string | undefined;
  /** The Secret in place, as an Event refers to it (kept by an unchanged outcome of a list). */
  readonly secret?: KubeObjectReference | undefined;
}

/**
 * What a list found of one namespace's Secret, so that {@link writeSecret} need not read it:
 * the outcome when it needs no write (kept instead of the Secret: a fresh one costs no memory
 * beyond its record), else the Secret as listed, or undefined when the list had none.
 */
export type ListedSecret =
  | { readonly unchanged: SecretOutcome }
  | { readonly secret: KubeSecret | undefined };

/**
 * Brings one dockerconfigjson Secret up to date without ever deleting it, so no pull finds it
 * missing: read (or take what a list found: `listed`) → (fresh: unchanged, no ECR call) → create,
 * or replace with the `resourceVersion` read. Losing a race (409 AlreadyExists on create, 409
 * Conflict on replace) starts again from a fresh read, which may then find the Secret already
 * fresh. A Secret of another type, or one without our label (unless `adopt`), is left untouched
 * and throws {@link SecretConflictError}. In a dry run, reads only.
 */
export async function writeSecret(
  api: KubeApi,
  secret: SecretTarget,
  context: ApplyContext,
  options: {
    adopt: boolean;
    email?: string | undefined;
    /**
     * Runs before the target's `labels` first land on the Secret (it is created, adopted, or lost
     * them), also in a dry run; may warn about what labelling it will cause.
     */
    beforeLabelling?: (() => Promise<void>) | undefined;
    /** Told of the Secret in place as soon as it is known (listed, read or written), for Events. */
    onSecret?: ((secret: KubeObjectReference) => void) | undefined;
  },
  listed?: ListedSecret,
): Promise<SecretOutcome> {
  let first = listed;
  return retryConflicts(
    [409],
    async () => {
      // Only the first attempt may use the list: a lost race means it is stale.
      const known = first;
      first = undefined;
      if (known !== undefined && 'unchanged' in known) {
        if (known.unchanged.secret !== undefined) options.onSecret?.(known.unchanged.secret);
        return known.unchanged;
      }
      const existing =
        known === undefined ? await api.readSecret(secret.namespace, secret.name) : known.secret;
      if (existing !== undefined) options.onSecret?.(objectReferenceOf(existing));
      const unchanged = unchangedOutcome(existing, secret, context, options.adopt);
      if (unchanged !== undefined) return unchanged;

      const adopting = existing !== undefined && !isManagedByUs(existing);
      const config = dockerConfigOf(existing, whereOf(secret));
      const credentials = credentialsFor(await context.credentials(), context, secret);
      const action = existing === undefined ? 'created' : 'updated';
      const reason = adopting ? `adopted a Secret not created by ecr-refresh` : undefined;
      const body = secretToWrite(
        existing,
        { ...secret, metadata: secret.metadata ?? NO_METADATA },
        config,
        credentials,
        options.email,
      );
      if (!carriesLabels(existing, secret.labels)) await options.beforeLabelling?.();
      if (!context.dryRun) {
        const written =
          existing === undefined
            ? await api.createSecret(secret.namespace, body)
            : await api.replaceSecret(
                secret.namespace,
                secret.name,
                withResourceVersion(body, existing, secret),
              );
        options.onSecret?.(objectReferenceOf(written));
      }
      return { action, record: combinedRecord(credentials), reason };
    },
    context.signal,
  );
}

/**
 * What {@link writeSecret} reports for `existing` when it needs no write: ours, with a trusted
 * record that is still fresh, carrying the target's labels and extra metadata. Undefined when it
 * must be written (missing, refreshed, adopted, relabelled, its extra metadata changed). Throws {@link SecretConflictError} when it must be
 * left untouched, and ConfigError when its `.dockerconfigjson` is not a docker config.
 */
export function unchangedOutcome(
  existing: KubeSecret | undefined,
  secret: SecretTarget,
  context: ApplyContext,
  adopt: boolean,
): SecretOutcome | undefined {
  if (existing === undefined) return undefined;
  assertWritable(existing, secret, adopt);
  const config = dockerConfigOf(existing, whereOf(secret));
  if (!isManagedByUs(existing)) return undefined;
  const record = recordOf(existing, config);
  if (
    record === undefined ||
    context.needsRefresh(record) ||
    !carriesLabels(existing, secret.labels)
  )
    return undefined;
  if (!carriesMetadata(existing.metadata, secret.metadata ?? NO_METADATA)) return undefined;
  return {
    action: 'unchanged',
    record,
    reason: 'still fresh',
    secret: objectReferenceOf(existing),
  };
}

function whereOf(secret: SecretTarget): string {
  return `Secret ${secret.namespace}/${secret.name}`;
}

function carriesLabels(existing: KubeSecret | undefined, labels: SecretTarget['labels']): boolean {
  return Object.entries(labels ?? {}).every(
    ([key, value]) => existing?.metadata?.labels?.[key] === value,
  );
}

function assertWritable(existing: KubeSecret, secret: SecretTarget, adopt: boolean): void {
  const where = whereOf(secret);
  if (existing.metadata?.annotations?.[RANCHER_COPY_ANNOTATION] === 'true') {
    // It carries our label and record only because Rancher copied them from the project's Secret.
    throw new SecretConflictError(
      secret.sink,
      secret.target,
      `${where} is Rancher's copy of a project-scoped Secret (annotation ${RANCHER_COPY_ANNOTATION}): Rancher rewrites it from the project's Secret, so it is left untouched (refresh the project's Secret with \`ecr-refresh rancher2\`, or choose another --secret-name)`,
    );
  }
  const type = typeof existing.type === 'string' && existing.type !== '' ? existing.type : 'Opaque';
  if (type !== DOCKER_CONFIG_JSON_TYPE) {
    throw new SecretConflictError(
      secret.sink,
      secret.target,
      `${where} exists with type ${type}, not ${DOCKER_CONFIG_JSON_TYPE}; a Secret's type cannot change and ecr-refresh never deletes a Secret: left untouched (choose another --secret-name, or delete it yourself)`,
    );
  }
  if (!adopt && !isManagedByUs(existing)) {
    throw new SecretConflictError(
      secret.sink,
      secret.target,
      `${where} exists but was not created by ecr-refresh (no label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}): left untouched (pass --adopt to take it over, keeping its other registries)`,
    );
  }
}

function credentialsFor(
  all: ReadonlyMap<string, RegistryCredential>,
  context: ApplyContext,
  secret: SecretTarget,
): RegistryCredential[] {
  return context.registries.map((registry) => {
    const credential = all.get(registry.host);
    if (credential === undefined) {
      throw new SinkWriteError(
        secret.sink,
        secret.target,
        `no credential was fetched for ${registry.host}`,
        { retryable: true },
      );
    }
    return credential;
  });
}

function withResourceVersion(
  body: KubeSecret,
  existing: KubeSecret,
  secret: SecretTarget,
): KubeSecret {
  const resourceVersion = existing.metadata?.resourceVersion;
  if (typeof resourceVersion !== 'string' || resourceVersion === '') {
    // Without it the replace would be unconditional and could overwrite a concurrent writer.
    throw new SinkWriteError(
      secret.sink,
      secret.target,
      `the API server answered Secret ${existing.metadata?.name ?? ''} without metadata.resourceVersion`,
    );
  }
  return { ...body, metadata: { ...body.metadata, resourceVersion } };
}
