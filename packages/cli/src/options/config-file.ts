import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as z from 'zod';
import { ConfigError, describeSchemaIssues } from '@ecr-refresh/core';

/**
 * A registry with the identity that fetches its token: `{ host, roleArn, externalId }` or
 * `{ host, profile }` (camelCase or kebab-case keys). Checked again, with the registry's
 * partition, when the settings are resolved (see settings.ts).
 */
const RegistryEntry = z.strictObject({
  host: z.string(),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
  roleSessionName: z.string().optional(),
  profile: z.string().optional(),
});

/** A registry as the config file names it, with its own identity or without. */
export type RegistryEntry = z.infer<typeof RegistryEntry>;

// A label or annotation map; YAML scalars (`replicas: 3`, `enabled: true`) are taken as their text.
// Its entries join the flag's, one per line: a value cannot hold a newline.
const metadataMap = z.record(
  z.string(),
  z
    .union([z.string(), z.number(), z.boolean()])
    .transform(String)
    .refine((value) => !value.includes('\n'), 'a value cannot hold a newline'),
);

/**
 * The `--config` YAML file: the same settings as the flags, in camelCase or kebab-case. Unknown
 * keys are errors, so a typo is reported instead of silently ignored.
 */
const ConfigFile = z.strictObject({
  registry: z.union([z.string(), z.array(z.string())]).optional(),
  registries: z.array(z.union([z.string(), RegistryEntry])).optional(),
  region: z.string().optional(),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
  endpointUrl: z.string().optional(),
  publicEndpointUrl: z.string().optional(),
  email: z.string().optional(),
  dryRun: z.boolean().optional(),
  force: z.boolean().optional(),
  watch: z.boolean().optional(),
  listen: z.string().optional(),
  timeout: z.number().optional(),
  output: z.enum(['table', 'json']).optional(),
  logLevel: z.string().optional(),
  logFormat: z.string().optional(),
  dockerConfig: z.string().optional(),
  kubeconfig: z.string().optional(),
  context: z.union([z.string(), z.array(z.string())]).optional(),
  allContexts: z.boolean().optional(),
  namespace: z.union([z.string(), z.array(z.string())]).optional(),
  selector: z.string().optional(),
  excludeNamespace: z.union([z.string(), z.array(z.string())]).optional(),
  secretName: z.string().optional(),
  adopt: z.boolean().optional(),
  serviceAccount: z.union([z.string(), z.array(z.string())]).optional(),
  secretLabel: z.union([z.string(), z.array(z.string())]).optional(),
  secretAnnotation: z.union([z.string(), z.array(z.string())]).optional(),
  // The same as maps, as the Helm chart's values give them.
  secretLabels: metadataMap.optional(),
  secretAnnotations: metadataMap.optional(),
  events: z.boolean().optional(),
  concurrency: z.number().optional(),
  rancherClusters: z.union([z.string(), z.array(z.string())]).optional(),
  rancherClusterSelector: z.string().optional(),
  clusterConcurrency: z.number().optional(),
  clusterTimeout: z.number().optional(),
  url: z.string().optional(),
  accessKey: z.string().optional(),
  secretKey: z.string().optional(),
  environment: z.union([z.string(), z.array(z.string())]).optional(),
  autoCreate: z.boolean().optional(),
  activate: z.boolean().optional(),
  caFile: z.string().optional(),
});

/**
 * Reads and validates a config file for yargs' `.config()`; every problem is reported as
 * `file: key: message`. Throws {@link ConfigError}.
 */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    document = parse(text) ?? {};
  } catch (error) {
    throw new ConfigError(
      `config: ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  const camel = isRecord(document) ? camelCaseKeys(document) : document;
  const parsed = ConfigFile.safeParse(camel);
  if (!parsed.success) {
    throw new ConfigError(
      describeSchemaIssues(parsed.error.issues, { prefix: `config: ${path}: ` }),
    );
  }
  const {
    registries,
    registry,
    secretLabels,
    secretLabel,
    secretAnnotations,
    secretAnnotation,
    ...rest
  } = parsed.data;
  return {
    ...rest,
    ...merged('registry', registries ?? [], registry),
    // The maps become the flags' key=value entries, so both forms share one validation.
    ...merged('secretLabel', entriesOf(secretLabels), secretLabel),
    ...merged('secretAnnotation', entriesOf(secretAnnotations), secretAnnotation),
  };
}

/** `{ [key]: list }` when the list and `more` hold anything, else nothing. */
function merged<T>(
  key: string,
  list: readonly T[],
  more: T | T[] | undefined,
): Record<string, T[]> {
  const all: T[] = [...list, ...(more === undefined ? [] : Array.isArray(more) ? more : [more])];
  return all.length > 0 ? { [key]: all } : {};
}

function entriesOf(map: Record<string, string> | undefined): string[] {
  return Object.entries(map ?? {}).map(([key, value]) => `${key}=${value}`);
}

/** The document with kebab-case keys in camelCase, at the top level and in `registries` entries. */
function camelCaseKeys(object: object): Record<string, unknown> {
  const camel = camelCaseTopLevel(object);
  if (Array.isArray(camel.registries)) {
    camel.registries = camel.registries.map((entry: unknown) =>
      isRecord(entry) ? camelCaseTopLevel(entry) : entry,
    );
  }
  return camel;
}

function camelCaseTopLevel(object: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [
      key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
      value,
    ]),
  );
}

function isRecord(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
