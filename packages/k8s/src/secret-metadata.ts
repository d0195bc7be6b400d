import * as z from 'zod';
import { quoteInput } from '@ecr-refresh/core';
import type { KubeObjectMeta } from './kube-api.ts';

/**
 * Labels and annotations a user asks for on the managed Secret (`--secret-label`,
 * `--secret-annotation`: Argo CD's `argocd.argoproj.io/compare-options`, a reflector's opt-in),
 * beside ours. Ours stay authoritative: a key we set ourselves cannot be given. The keys we put
 * there are recorded on the Secret, so a key dropped from the options is removed at the next
 * write, while labels and annotations set by anyone else are kept (as `kubectl apply` does).
 */
export interface SecretMetadata {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** No extra labels or annotations. */
export const NO_METADATA: SecretMetadata = { labels: {}, annotations: {} };

/** The annotations recording which of the Secret's labels and annotations came from the options. */
export const METADATA_RECORD = {
  labels: 'ecr-refresh/secret-labels',
  annotations: 'ecr-refresh/secret-annotations',
} as const;

// Kubernetes' rules (apimachinery validation: IsQualifiedName, IsValidLabelValue, ValidateAnnotations).
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;
const QUALIFIED_NAME_RULE =
  'an optional DNS subdomain prefix and "/", then a name of at most 63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit';

/** Keys (or `prefix/` for a whole prefix) set by ecr-refresh or by Rancher on the Secrets it writes. */
const RESERVED = {
  labels: [
    'app.kubernetes.io/managed-by',
    'management.cattle.io/project-scoped-secret',
    'ecr-refresh/',
  ],
  annotations: ['management.cattle.io/project-scoped-secret-copy', 'ecr-refresh/'],
} as const;

/** Why `key` is not a qualified name (a label or annotation key), or undefined when it is one. */
function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefixValid = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (prefixValid && name.length <= 63 && NAME.test(name)) return undefined;
  return `${quoteInput(key)} is not a valid key (${QUALIFIED_NAME_RULE})`;
}

function reservedProblem(key: string, kind: keyof typeof RESERVED): string | undefined {
  const taken = RESERVED[kind].find((reserved) =>
    reserved.endsWith('/') ? key.startsWith(reserved) : key === reserved,
  );
  if (taken === undefined) return undefined;
  const scope = taken.endsWith('/') ? ` (every key under ${taken})` : '';
  return `${quoteInput(key)} is set by ecr-refresh itself${scope}: it marks and records the Secrets it manages and cannot be given`;
}

const metadataMap = (kind: keyof typeof RESERVED) =>
  z.record(z.string(), z.string('expected a string value')).superRefine((map, check) => {
    for (const [key, value] of Object.entries(map)) {
      // Annotation keys are checked in lower case by Kubernetes: their prefix may hold capitals.
      const problem =
        qualifiedNameProblem(kind === 'annotations' ? key.toLowerCase() : key) ??
        reservedProblem(key, kind);
      if (problem !== undefined) check.addIssue({ code: 'custom', message: problem });
      if (kind === 'labels' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        check.addIssue({
          code: 'custom',
          message: `the value of ${quoteInput(key)}, ${quoteInput(value)}, is not a valid label value (at most 63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or empty)`,
        });
      }
    }
    const size = Object.entries(map).reduce(
      (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    if (kind === 'annotations' && size > ANNOTATIONS_SIZE_LIMIT / 2) {
      // Half of Kubernetes' 256 KiB for all annotations together: ours and others' need the rest.
      check.addIssue({
        code: 'custom',
        message: `the annotations take ${size} bytes; at most ${ANNOTATIONS_SIZE_LIMIT / 2} are allowed (Kubernetes allows 256 KiB for all of a Secret's annotations)`,
      });
    }
  });

/** The options of both Secret-writing sinks that choose the Secret's extra labels and annotations. */
export const secretMetadataOptions = {
  /** Labels added to the Secret besides ours (Kubernetes label rules; ours cannot be given). */
  secretLabels: metadataMap('labels').default({}),
  /** Annotations added to the Secret besides ours (`argocd.argoproj.io/compare-options: IgnoreExtraneous`). */
  secretAnnotations: metadataMap('annotations').default({}),
};

/** The {@link SecretMetadata} of validated options. */
export function secretMetadataOf(options: {
  secretLabels: Record<string, string>;
  secretAnnotations: Record<string, string>;
}): SecretMetadata {
  return { labels: options.secretLabels, annotations: options.secretAnnotations };
}

/**
 * The labels and annotations to write over `current`: the keys recorded as ours by an earlier
 * write and no longer asked for are removed, `metadata`'s are set, and the record names the keys
 * now ours; everything else is kept. Labels and annotations of ecr-refresh are applied after this.
 */
export function withMetadata(
  current: KubeObjectMeta,
  metadata: SecretMetadata,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const annotations = replaceOwned(
    current.annotations,
    recordedKeys(current, 'annotations'),
    metadata.annotations,
  );
  const labels = replaceOwned(current.labels, recordedKeys(current, 'labels'), metadata.labels);
  for (const kind of ['labels', 'annotations'] as const) {
    const keys = Object.keys(metadata[kind]).sort();
    if (keys.length > 0) annotations[METADATA_RECORD[kind]] = keys.join(',');
    else delete annotations[METADATA_RECORD[kind]];
  }
  return { labels, annotations };
}

/** Whether `current` already carries `metadata` as {@link withMetadata} would write it. */
export function carriesMetadata(
  current: KubeObjectMeta | undefined,
  metadata: SecretMetadata,
): boolean {
  const wanted = withMetadata(current ?? {}, metadata);
  return (
    sameEntries(current?.labels, wanted.labels) &&
    sameEntries(current?.annotations, wanted.annotations)
  );
}

function recordedKeys(current: KubeObjectMeta, kind: keyof SecretMetadata): string[] {
  const recorded = current.annotations?.[METADATA_RECORD[kind]];
  return recorded === undefined || recorded === '' ? [] : recorded.split(',');
}

function replaceOwned(
  current: Record<string, string> | undefined,
  owned: readonly string[],
  wanted: Readonly<Record<string, string>>,
): Record<string, string> {
  const next = { ...current };
  for (const key of owned) delete next[key];
  return Object.assign(next, wanted);
}

function sameEntries(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const left = Object.entries(a ?? {});
  return left.length === Object.keys(b).length && left.every(([key, value]) => b[key] === value);
}
