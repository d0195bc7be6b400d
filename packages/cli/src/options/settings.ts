import * as z from 'zod';
import {
  ConfigError,
  describeSchemaIssues,
  identityKey,
  parseRegistry,
  quoteInput,
  regionProblem,
  rolePartitionMismatch,
  validateAwsIdentity,
  type AwsIdentity,
  type LogFormat,
  type LogLevel,
  type RegistryTarget,
} from '@ecr-refresh/core';
import type { RegistryEntry } from './config-file.ts';
import type { SharedArgs } from './shared-options.ts';

/** Everything a refresh needs, validated; built by {@link resolveSettings}. */
export interface Settings {
  /** The registries, each with its own identity when the config file names one. */
  readonly registries: readonly RegistryTarget[];
  /** The role (and external id) of registries without an identity of their own. */
  readonly roleArn?: string | undefined;
  readonly externalId?: string | undefined;
  readonly endpointUrl?: string | undefined;
  readonly publicEndpointUrl?: string | undefined;
  readonly email?: string | undefined;
  readonly dryRun: boolean;
  readonly force: boolean;
  /** Run as a service; see runRefreshService. */
  readonly watch: boolean;
  /** Where the health and metrics endpoints listen; undefined: nowhere. */
  readonly listen?: { host: string; port: number } | undefined;
  readonly timeoutMs: number;
  readonly output: 'table' | 'json';
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

const Scalars = z.object({
  endpointUrl: z
    .url({
      protocol: /^https?$/,
      error: 'expected an http(s) URL like https://api.ecr.eu-west-1.amazonaws.com',
    })
    .optional(),
  publicEndpointUrl: z
    .url({
      protocol: /^https?$/,
      error: 'expected an http(s) URL like https://api.ecr-public.us-east-1.amazonaws.com',
    })
    .optional(),
  // RFC 5321 caps an address at 254 characters; a longer value would only bloat every auths entry.
  email: z
    .email('expected an e-mail address like ops@example.com')
    .max(254, 'expected an e-mail address of at most 254 characters')
    .optional(),
  timeout: z
    .number('expected a number of seconds')
    .positive('expected a positive number of seconds')
    .max(600, 'expected at most 600 seconds'),
});

/**
 * Validates the shared options and derives the registries to serve, collecting every problem
 * before failing. Registries come from `--registry` (hosts or `account:region`, also
 * comma-separated), or else from the blog post's `AWS_ACCOUNT_NUMBER` with `AWS_DEFAULT_REGION`,
 * so a Secret made for the old CronJob keeps working. Throws {@link ConfigError}.
 */
export function resolveSettings(args: SharedArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const region =
    nonEmpty(args.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const badRegion = region === undefined ? undefined : regionProblem(region);
  if (badRegion !== undefined) problems.push(`region: ${badRegion}`);
  const defaultIdentity = {
    roleArn: nonEmpty(args.roleArn),
    externalId: nonEmpty(args.externalId),
  };
  for (const { key, message } of validateAwsIdentity(defaultIdentity)) {
    problems.push(`${optionName([key])}: ${message}`);
  }
  const registries = resolveRegistries(args, env, region, problems);
  const { roleArn } = defaultIdentity;
  for (const target of registries.filter((registry) => registry.identity === undefined)) {
    const mismatch =
      roleArn === undefined ? undefined : rolePartitionMismatch(roleArn, target.region);
    if (mismatch !== undefined) problems.push(`role-arn: ${mismatch} (registry ${target.host})`);
  }
  const email = nonEmpty(args.email) ?? nonEmpty(env.EMAIL);
  const scalars = Scalars.safeParse({
    endpointUrl: nonEmpty(args.endpointUrl),
    publicEndpointUrl: nonEmpty(args.publicEndpointUrl),
    email,
    timeout: args.timeout,
  });
  if (!scalars.success) {
    problems.push(...describeSchemaIssues(scalars.error.issues, { name: optionName }));
  }
  const listen = resolveListen(args, problems);
  if (problems.length > 0 || !scalars.success) throw new ConfigError(problems);
  return {
    registries,
    roleArn: defaultIdentity.roleArn,
    externalId: defaultIdentity.externalId,
    endpointUrl: scalars.data.endpointUrl,
    publicEndpointUrl: scalars.data.publicEndpointUrl,
    email: scalars.data.email,
    dryRun: args.dryRun,
    force: args.force,
    watch: args.watch,
    listen,
    timeoutMs: Math.round(scalars.data.timeout * 1000),
    output: args.output === 'json' ? 'json' : 'table',
    logLevel: args.logLevel as LogLevel,
    logFormat: args.logFormat as LogFormat,
  };
}

function resolveRegistries(
  args: SharedArgs,
  env: NodeJS.ProcessEnv,
  region: string | undefined,
  problems: string[],
): RegistryTarget[] {
  const given = (args.registry ?? []).flatMap(registryEntries);
  const blogAccount = nonEmpty(env.AWS_ACCOUNT_NUMBER);
  const inputs =
    given.length > 0 ? given : blogAccount === undefined ? [] : [{ host: blogAccount }];
  if (inputs.length === 0) {
    problems.push(
      'registry: no registry given; pass --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com (or ECR_REFRESH_REGISTRY, or AWS_ACCOUNT_NUMBER with AWS_DEFAULT_REGION)',
    );
    return [];
  }
  const registries = new Map<string, RegistryTarget>();
  for (const entry of inputs) {
    const target = registryTarget(entry, region, problems);
    if (target === undefined) continue;
    const earlier = registries.get(target.host);
    if (
      earlier !== undefined &&
      identityKey(earlier.identity ?? {}) !== identityKey(target.identity ?? {})
    ) {
      const reason =
        'listed twice with different identities; one host holds one credential, so name its identity once';
      problems.push(`registry ${target.host}: ${reason}`);
    }
    registries.set(target.host, target);
  }
  return [...registries.values()];
}

/** A `--registry` value (hosts, comma- or space-separated) or a config file entry, as entries. */
function registryEntries(value: string | RegistryEntry): RegistryEntry[] {
  if (typeof value !== 'string') return [value];
  return value
    .split(/[\s,]+/)
    .filter((host) => host !== '')
    .map((host) => ({ host }));
}

/** The entry's registry with its identity, or undefined after adding its problems. */
function registryTarget(
  entry: RegistryEntry,
  region: string | undefined,
  problems: string[],
): RegistryTarget | undefined {
  const { host, ...fields } = entry;
  let target: RegistryTarget;
  try {
    target = parseRegistry(/^\d+$/.test(host) ? withRegion(host, region) : host);
  } catch (error) {
    problems.push(`registry: ${(error as Error).message}`);
    return undefined;
  }
  const identity = identityOf(fields);
  if (identity === undefined) return target;
  const found = validateAwsIdentity(identity, target.region);
  for (const problem of found)
    problems.push(`registry ${quoteInput(host)}: ${problem.key}: ${problem.message}`);
  return found.length > 0 ? undefined : { ...target, identity };
}

/** The identity an entry names, without empty fields; undefined when it names none. */
function identityOf(fields: Omit<RegistryEntry, 'host'>): AwsIdentity | undefined {
  const identity = Object.fromEntries(
    Object.entries(fields).filter(([, value]) => nonEmpty(value) !== undefined),
  );
  return Object.keys(identity).length === 0 ? undefined : identity;
}

const DEFAULT_LISTEN = { host: '0.0.0.0', port: 8080 };

function resolveListen(args: SharedArgs, problems: string[]): Settings['listen'] {
  const value = nonEmpty(args.listen);
  if (value === undefined) return args.watch ? DEFAULT_LISTEN : undefined;
  if (value === 'off') return undefined;
  const match = /^(?:(?<host>\[[0-9a-f:.]+\]|[\w.-]*):)?(?<port>\d{1,5})$/i.exec(value);
  const port = Number(match?.groups?.port);
  if (match === null || port > 65_535) {
    problems.push(
      `listen: ${quoteInput(value)} is not host:port; expected for example 0.0.0.0:8080, 127.0.0.1:9090, :8080 or off`,
    );
    return undefined;
  }
  const host = (match.groups?.host ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? DEFAULT_LISTEN.host : host, port };
}

function withRegion(account: string, region: string | undefined): string {
  // A bare account id (the blog post's AWS_ACCOUNT_NUMBER) needs a region to name a registry.
  return `${account}:${region ?? '(no region: set --region or AWS_DEFAULT_REGION)'}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function optionName(path: readonly PropertyKey[]): string {
  return String(path[0] ?? '').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
