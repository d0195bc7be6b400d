import * as z from 'zod';
import { ConfigError, describeSchemaIssues } from '@ecr-refresh/core';
import { secretMetadataOptions } from './secret-metadata.ts';

/** The Secret name used when none is configured. */
export const DEFAULT_SECRET_NAME = 'ecr-pull-credentials';

/** Milliseconds one API request may wait for an answer when none is configured. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** In `secretName`, replaced by each namespace's name (the blog post's `ecr-{namespace}`). */
export const NAMESPACE_PLACEHOLDER = '{namespace}';

/** A DNS label: a namespace's name, and Rancher's cluster and project ids. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// A namespace name, or a glob of one: `*` any run of characters, `?` one character.
const NAMESPACE_PATTERN = /^(?=.*[*?])[-a-z0-9*?]+$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// One requirement of a label selector: `key`, `!key`, `key=value`, `key==value`, `key!=value`,
// `key in (a,b)`, `key notin (a,b)`; keys may carry a DNS prefix (`team.example.com/tier`).
const SELECTOR_KEY = String.raw`(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const SELECTOR_VALUE = '(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
const SELECTOR_REQUIREMENT = String.raw`\s*(?:!?${SELECTOR_KEY}|${SELECTOR_KEY}\s*(?:==?|!=)\s*${SELECTOR_VALUE}|${SELECTOR_KEY}\s+(?:in|notin)\s+\(\s*${SELECTOR_VALUE}(?:\s*,\s*${SELECTOR_VALUE})*\s*\))\s*`;
const LABEL_SELECTOR = new RegExp(`^${SELECTOR_REQUIREMENT}(?:,${SELECTOR_REQUIREMENT})*$`);

const labelSelector = z
  .string()
  .max(1024, 'a label selector has at most 1024 characters')
  .regex(
    LABEL_SELECTOR,
    'not a valid label selector (for example team=payments,tier!=test or env in (prod,staging))',
  );

const namespaceName = z
  .string()
  .max(63, 'a namespace name has at most 63 characters')
  .regex(
    DNS_LABEL,
    'not a valid namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit)',
  );

const namespacePattern = z
  .string()
  .max(63, 'a namespace name has at most 63 characters')
  .regex(
    NAMESPACE_PATTERN,
    'not a valid namespace name or glob (lower-case letters, digits and "-", starting and ending with a letter or digit; wildcards * and ?)',
  );

/** A Kubernetes object name (a DNS subdomain); `what` names the kind in the message. */
export const objectName = (what: string) =>
  z
    .string()
    .max(253, `a ${what} name has at most 253 characters`)
    .regex(
      DNS_SUBDOMAIN,
      `not a valid ${what} name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit)`,
    );

const secretNameTemplate = z.string().refine(
  // The longest namespace name must still give a valid Secret name.
  (value) =>
    objectName('Secret').safeParse(value.replaceAll(NAMESPACE_PLACEHOLDER, 'n'.repeat(63))).success,
  `not a valid Secret name (lower-case letters, digits, "-" and ".", at most 253 characters; ${NAMESPACE_PLACEHOLDER} stands for the namespace)`,
);

const contextName = z.string().min(1, 'a context name cannot be empty');

/** The connection options every sink on a kubeconfig shares, with their documentation. */
export const connectionOptions = {
  /** A kubeconfig file; default `KUBECONFIG`, `~/.kube/config`, else the in-cluster ServiceAccount. */
  kubeconfig: z.string().min(1, 'a kubeconfig path cannot be empty').optional(),
  /** Milliseconds one API request may wait for an answer (the CLI's --timeout). */
  timeoutMs: z
    .int('expected a whole number of milliseconds')
    .positive('expected a positive number of milliseconds')
    .max(600_000, 'expected at most 600000 ms')
    .default(DEFAULT_REQUEST_TIMEOUT_MS),
  /** E-mail written in each `auths` entry (some old tools want one). */
  email: z.email('expected an e-mail address like ops@example.com').optional(),
};

/** What both Secret-writing sinks share beyond the connection: the Secret's extra metadata, and Events. */
export const secretSinkOptions = {
  ...secretMetadataOptions,
  /** A Warning Event (events.k8s.io/v1) for each failed target, rate-limited (see `failure-events.ts`). */
  events: z.boolean().default(true),
};

/**
 * Options of `createKubernetesSink()`, validated at the package boundary; unknown keys are errors.
 * Namespaces: `namespaces` (names, globs with `*` and `?`, or `*` for all) and/or a label
 * `namespaceSelector`, minus `excludeNamespaces` (names or globs); neither given means the
 * context's namespace (in a pod: the pod's own).
 */
export const KubernetesSinkOptions = z
  .strictObject({
    kubeconfig: connectionOptions.kubeconfig,
    /** Contexts to serve, each a separate cluster in the results; `all` for every one; default: the current. */
    contexts: z
      .union([z.literal('all'), z.array(contextName).min(1, 'name at least one context, or "all"')])
      .optional(),
    namespaces: z.array(namespacePattern).default([]),
    namespaceSelector: labelSelector.optional(),
    excludeNamespaces: z.array(namespacePattern).default([]),
    /** The dockerconfigjson Secret written in each namespace; `{namespace}` is replaced by its name. */
    secretName: secretNameTemplate.default(DEFAULT_SECRET_NAME),
    /** Take over a same-named dockerconfigjson Secret that ecr-refresh did not create. */
    adopt: z.boolean().default(false),
    /** ServiceAccounts that get the Secret in `imagePullSecrets`: names, `['*']` for all, `[]` for none. */
    serviceAccounts: z
      .array(z.union([z.literal('*'), objectName('ServiceAccount')]))
      .default(['default'])
      .refine(
        (names) => !names.includes('*') || names.length === 1,
        '"*" (every ServiceAccount) cannot be combined with names',
      ),
    /** Namespaces worked on at the same time, per cluster. */
    concurrency: z
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(256, 'expected at most 256')
      .default(8),
    /**
     * Serve Rancher's downstream clusters through its proxy instead of the context's own cluster:
     * `all` (every cluster but `local`) or cluster ids and display names (`local` when named). The
     * context must be Rancher's (`https://<rancher>/k8s/clusters/local`).
     */
    rancherClusters: z
      .union([
        z.literal('all'),
        z
          .array(z.string().min(1, 'a cluster id or name cannot be empty'))
          .min(1, 'name at least one cluster, or "all"'),
      ])
      .optional(),
    /** Only Rancher clusters whose Cluster object matches this label selector; alone, every such cluster. */
    rancherClusterSelector: labelSelector.optional(),
    /** Rancher clusters served at the same time. */
    clusterConcurrency: z
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(64, 'expected at most 64')
      .default(4),
    /** Milliseconds one Rancher cluster may take as a whole before it is reported failed. */
    clusterTimeoutMs: z
      .int('expected a whole number of milliseconds')
      .positive('expected a positive number of milliseconds')
      .max(3_600_000, 'expected at most 3600000 ms (an hour)')
      .default(300_000),
    timeoutMs: connectionOptions.timeoutMs,
    email: connectionOptions.email,
    secretLabels: secretSinkOptions.secretLabels,
    secretAnnotations: secretSinkOptions.secretAnnotations,
    events: secretSinkOptions.events,
  })
  .refine((options) => !options.namespaces.includes('*') || options.namespaces.length === 1, {
    path: ['namespaces'],
    message: '"*" (every namespace) cannot be combined with other names',
  })
  .refine((options) => !servesFleet(options) || isOneContext(options.contexts), {
    path: ['contexts'],
    message:
      "with Rancher clusters, name at most one context: Rancher's (its server ends in /k8s/clusters/local)",
  });

/** Whether the options choose Rancher's downstream clusters rather than kubeconfig contexts. */
export function servesFleet(options: {
  readonly rancherClusters?: unknown;
  readonly rancherClusterSelector?: unknown;
}): boolean {
  return options.rancherClusters !== undefined || options.rancherClusterSelector !== undefined;
}

function isOneContext(contexts: 'all' | readonly string[] | undefined): boolean {
  return contexts === undefined || (contexts !== 'all' && contexts.length === 1);
}

/** The options as given (defaults optional). */
export type KubernetesSinkOptionsInput = z.input<typeof KubernetesSinkOptions>;
/** The options after validation, defaults applied. */
export type KubernetesSinkOptions = z.output<typeof KubernetesSinkOptions>;

/** The Secret's name in `namespace`: `secretName` with {@link NAMESPACE_PLACEHOLDER} replaced. */
export function secretNameIn(
  options: Pick<KubernetesSinkOptions, 'secretName'>,
  namespace: string,
): string {
  return options.secretName.replaceAll(NAMESPACE_PLACEHOLDER, namespace);
}

/** Exactly one namespace name (for checks outside the schema, such as a kubeconfig's namespace). */
export function isNamespaceName(value: string): boolean {
  return namespaceName.safeParse(value).success;
}

/**
 * Validates `input`, reporting every problem at once as `path: message` with the value at fault.
 * Throws {@link ConfigError}; nothing has been read or written when it does.
 */
export function parseKubernetesSinkOptions(input: unknown): KubernetesSinkOptions {
  return parseSinkOptions(KubernetesSinkOptions, input, 'k8s');
}

/**
 * Validates `input` against a sink's options `schema`, reporting every problem at once as
 * `<prefix>.<path>: <value> <message>`. Throws {@link ConfigError}.
 */
export function parseSinkOptions<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  prefix: string,
): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    describeSchemaIssues(parsed.error.issues, { prefix: `${prefix}.`, root: '(options)', input }),
  );
}
