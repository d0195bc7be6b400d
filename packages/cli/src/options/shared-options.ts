import type { Options } from 'yargs';
import type { RegistryEntry } from './config-file.ts';

/**
 * The options every subcommand shares. Each can also come from an `ECR_REFRESH_*` environment
 * variable (`--role-arn` ⇔ `ECR_REFRESH_ROLE_ARN`) or the `--config` YAML file (`roleArn:`);
 * precedence: flag, then variable, then file. Kept free of heavy imports: `--help` loads only this.
 */
export const sharedOptions = {
  registry: {
    type: 'string',
    array: true,
    alias: 'r',
    description:
      'ECR registry to serve: a host (123456789012.dkr.ecr.eu-west-1.amazonaws.com), account:region, or public.ecr.aws (ECR Public); ' +
      'repeatable, or comma-separated',
  },
  region: {
    type: 'string',
    description:
      'Region for a --registry given as a bare account id (default: AWS_REGION, AWS_DEFAULT_REGION)',
  },
  'role-arn': {
    type: 'string',
    description: 'IAM role to assume before asking ECR (cross-account)',
  },
  'external-id': { type: 'string', description: 'External id required by the role trust policy' },
  'endpoint-url': {
    type: 'string',
    description: 'Custom ECR API endpoint (VPC endpoint, test server)',
  },
  'public-endpoint-url': {
    type: 'string',
    description:
      'Custom ECR Public API endpoint (test server; default: AWS_ENDPOINT_URL_ECR_PUBLIC, else AWS in us-east-1)',
  },
  email: {
    type: 'string',
    description: 'E-mail to record with the credential (Rancher 1.x v1 API requires one)',
  },
  'dry-run': {
    type: 'boolean',
    default: false,
    description: 'Show what would be written; write nothing',
  },
  force: {
    type: 'boolean',
    default: false,
    description: 'Refresh even targets that are still fresh',
  },
  watch: {
    type: 'boolean',
    default: false,
    description:
      'Keep running: refresh at each credential half-life, react to changes, serve /healthz, /readyz and /metrics',
  },
  listen: {
    type: 'string',
    description:
      'host:port of the health and metrics endpoints (default with --watch: 0.0.0.0:8080; "off" disables)',
  },
  timeout: {
    type: 'number',
    default: 15,
    description: 'Seconds a network request may wait for an answer',
  },
  output: {
    choices: ['table', 'json'],
    default: 'table',
    description: 'Format of the results on standard output',
  },
  'log-level': {
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    description: 'Least severe log level written to standard error',
  },
  'log-format': {
    choices: ['auto', 'json', 'pretty'],
    default: 'auto',
    description: 'Log format (auto: pretty on a terminal, JSON otherwise)',
  },
} as const satisfies Record<string, Options>;

/** The parsed values of {@link sharedOptions}, as yargs hands them to a handler. */
export interface SharedArgs {
  /** Hosts from flags and variables; also entries with an identity from the config file. */
  registry?: Array<string | RegistryEntry> | undefined;
  region?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
  endpointUrl?: string | undefined;
  publicEndpointUrl?: string | undefined;
  email?: string | undefined;
  dryRun: boolean;
  force: boolean;
  watch: boolean;
  listen?: string | undefined;
  timeout: number;
  output: string;
  logLevel: string;
  logFormat: string;
}
