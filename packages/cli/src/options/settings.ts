import * as z from 'zod';
import { ConfigError, describeSchemaIssues, parseRegistry, quoteInput, regionProblem, type LogFormat, type LogLevel, type RegistryTarget } from '@ecr-refresh/core';
import type { SharedArgs } from './shared-options.ts';

/** Everything a refresh needs, validated; built by {@link resolveSettings}. */
export interface Settings {
  readonly registries: readonly RegistryTarget[];
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

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const Scalars = z.object({
  roleArn: z.string().regex(ROLE_ARN, 'expected an IAM role ARN like arn:aws:iam::123456789012:role/ecr-reader').optional(),
  externalId: z.string().regex(EXTERNAL_ID, 'expected 2 to 1224 characters of letters, digits and +=,.@:/-').optional(),
  endpointUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL like https://api.ecr.eu-west-1.amazonaws.com' }).optional(),
  publicEndpointUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL like https://api.ecr-public.us-east-1.amazonaws.com' }).optional(),
  // RFC 5321 caps an address at 254 characters; a longer value would only bloat every auths entry.
  email: z.email('expected an e-mail address like ops@example.com').max(254, 'expected an e-mail address of at most 254 characters').optional(),
  timeout: z.number('expected a number of seconds').positive('expected a positive number of seconds').max(600, 'expected at most 600 seconds'),
});

/**
 * Validates the shared options and derives the registries to serve, collecting every problem
 * before failing. Registries come from `--registry` (hosts or `account:region`, also
 * comma-separated), or else from the blog post's `AWS_ACCOUNT_NUMBER` with `AWS_DEFAULT_REGION`,
 * so a Secret made for the old CronJob keeps working. Throws {@link ConfigError}.
 */
export function resolveSettings(args: SharedArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const region = nonEmpty(args.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const badRegion = region === undefined ? undefined : regionProblem(region);
  if (badRegion !== undefined) problems.push(`region: ${badRegion}`);
  const registries = resolveRegistries(args, env, region, problems);
  const email = nonEmpty(args.email) ?? nonEmpty(env.EMAIL);
  const scalars = Scalars.safeParse({
    roleArn: nonEmpty(args.roleArn),
    externalId: nonEmpty(args.externalId),
    endpointUrl: nonEmpty(args.endpointUrl),
    publicEndpointUrl: nonEmpty(args.publicEndpointUrl),
    email,
    timeout: args.timeout,
  });
  if (!scalars.success) {
    problems.push(...describeSchemaIssues(scalars.error.issues, { name: optionName }));
  }
  const listen = resolveListen(args, problems);
  if (args.externalId !== undefined && args.roleArn === undefined) {
    problems.push('external-id: only meaningful with --role-arn');
  }
  if (problems.length > 0 || !scalars.success) throw new ConfigError(problems);
  return {
    registries,
    roleArn: scalars.data.roleArn,
    externalId: scalars.data.externalId,
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

function resolveRegistries(args: SharedArgs, env: NodeJS.ProcessEnv, region: string | undefined, problems: string[]): RegistryTarget[] {
  const given = (args.registry ?? []).flatMap((value) => String(value).split(/[\s,]+/)).filter((value) => value !== '');
  const blogAccount = nonEmpty(env.AWS_ACCOUNT_NUMBER);
  const inputs = given.length > 0 ? given : blogAccount === undefined ? [] : [blogAccount];
  if (inputs.length === 0) {
    problems.push('registry: no registry given; pass --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com (or ECR_REFRESH_REGISTRY, or AWS_ACCOUNT_NUMBER with AWS_DEFAULT_REGION)');
    return [];
  }
  const registries = new Map<string, RegistryTarget>();
  for (const input of inputs) {
    try {
      const target = parseRegistry(/^\d+$/.test(input) ? withRegion(input, region) : input);
      registries.set(target.host, target);
    } catch (error) {
      problems.push(`registry: ${(error as Error).message}`);
    }
  }
  return [...registries.values()];
}

const DEFAULT_LISTEN = { host: '0.0.0.0', port: 8080 };

function resolveListen(args: SharedArgs, problems: string[]): Settings['listen'] {
  const value = nonEmpty(args.listen);
  if (value === undefined) return args.watch ? DEFAULT_LISTEN : undefined;
  if (value === 'off') return undefined;
  const match = /^(?:(?<host>\[[0-9a-f:.]+\]|[\w.-]*):)?(?<port>\d{1,5})$/i.exec(value);
  const port = Number(match?.groups?.port);
  if (match === null || port > 65_535) {
    problems.push(`listen: ${quoteInput(value)} is not host:port; expected for example 0.0.0.0:8080, 127.0.0.1:9090, :8080 or off`);
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
