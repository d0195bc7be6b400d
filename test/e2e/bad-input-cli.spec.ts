import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startConnectionRecorder,
  type ConnectionRecorder,
  type KubeApiServer,
  type Moto,
} from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import { HOST, uniqueName, useKubeAndMoto } from './k8s-helpers.ts';

/**
 * One hostile or mistaken input. In `args`, `env`, `config` and `kubeconfig`, `@REC@` stands for
 * the connection recorder (`127.0.0.1:<port>`) and `@DIR@` for the case's own directory.
 */
interface BadInput {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** YAML written to @DIR@/config.yaml and passed as `--config`. */
  readonly config?: string;
  /** The kubeconfig at @DIR@/kubeconfig (k8s cases); default: a valid one whose server is the recorder. */
  readonly kubeconfig?: string;
  /** The message must name the input and say what would be valid. */
  readonly message: RegExp;
}

const REGISTRY = ['--registry', HOST];
const ECR = ['--endpoint-url', 'http://@REC@'];
const DOCKER = ['docker-config', ...ECR, '--docker-config', '@DIR@/config.json'];
const K8S = ['k8s', ...REGISTRY, ...ECR, '--kubeconfig', '@DIR@/kubeconfig'];
const RANCHER = ['rancher1', ...REGISTRY, ...ECR];
const CATTLE = {
  CATTLE_URL: 'http://@REC@/v2-beta',
  CATTLE_ACCESS_KEY: 'ACCESSKEY1',
  CATTLE_SECRET_KEY: 'cattle-secret-key-of-the-bad-input-suite',
};
const VALID_KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://@REC@", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: kube-token-of-the-bad-input-suite}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
`;
// A single argument or variable is capped by the kernel at 128 KiB; the config file carries the 1 MiB one.
const HUGE_ARG = 'a'.repeat(120_000);
const HUGE_FILE_VALUE = 'a'.repeat(1 << 20);
// However large the input, the message quotes only a bounded part of it.
const MAX_MESSAGE = 4096;
const INVALID_REGISTRY =
  /registry: invalid registry .*expected a host like 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/s;

const cases: BadInput[] = [
  // Registries, accounts and regions
  {
    name: 'a host that is not ECR',
    args: [...DOCKER, '-r', 'example.com'],
    message: /"example\.com": it is not an ECR registry host; expected a host like/,
  },
  {
    name: 'an ECR Public image instead of its host',
    args: [...DOCKER, '-r', 'public.ecr.aws/nginx/nginx'],
    message: /"public\.ecr\.aws\/nginx\/nginx": it contains a path/,
  },
  {
    name: 'an ECR host with a foreign suffix',
    args: [...DOCKER, '-r', `${HOST}.evil.example`],
    message: /end in \.amazonaws\.com, not .*expected a host like/,
  },
  {
    name: 'an account id of 11 digits',
    args: [...DOCKER, '-r', '12345678901.dkr.ecr.eu-west-1.amazonaws.com'],
    message: /"12345678901\.dkr\.ecr\.eu-west-1\.amazonaws\.com".*expected a host like/,
  },
  {
    name: 'an account id of 13 digits',
    args: [...DOCKER, '-r', '1234567890123:eu-west-1'],
    message: /account id "1234567890123" must be exactly 12 digits/,
  },
  {
    name: 'an unknown region in a host',
    args: [...DOCKER, '-r', '123456789012.dkr.ecr.mars-north-1.amazonaws.com'],
    message:
      /"mars-north-1" is not an AWS region name: expected <area>-<direction>-<number> like eu-west-1/,
  },
  {
    name: 'an unknown region in account:region',
    args: [...DOCKER, '-r', '123456789012:eu-middle-9'],
    message: /"eu-middle-9" is not an AWS region name: expected <area>-<direction>-<number>/,
  },
  {
    name: 'a letter for a digit in a region',
    args: [...DOCKER, '-r', '123456789012:us-east-l'],
    message: /"us-east-l" is not an AWS region name: expected .*; did you mean us-east-1\?/,
  },
  {
    name: 'a region without hyphens in a host',
    args: [...DOCKER, '-r', '123456789012.dkr.ecr.useast1.amazonaws.com'],
    message: /"useast1" is not an AWS region name: .*did you mean us-east-1\?/,
  },
  {
    name: 'a repository path after the host',
    args: [...DOCKER, '-r', `${HOST}/payments/api`],
    message: /it contains a path: give the registry host only/,
  },
  {
    name: 'a newline smuggling a second registry',
    args: [...DOCKER, '-r', `${HOST}\nevil.example`],
    message: /invalid registry "evil\.example"/,
  },
  {
    name: 'no registry at all',
    args: DOCKER,
    message:
      /registry: no registry given; pass --registry 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/,
  },
  { name: 'a 120 KB registry flag', args: [...DOCKER, '-r', HUGE_ARG], message: INVALID_REGISTRY },
  {
    name: 'an unknown --region for a bare account',
    args: [...DOCKER, '-r', '123456789012', '--region', 'mars-1'],
    message:
      /region: "mars-1" is not an AWS region name: expected <area>-<direction>-<number> like eu-west-1/,
  },
  // Roles, endpoints and scalars
  {
    name: 'a role ARN that is not an ARN',
    args: [...DOCKER, ...REGISTRY, '--role-arn', 'ecr-reader'],
    message: /role-arn: expected an IAM role ARN like arn:aws:iam::123456789012:role\/ecr-reader/,
  },
  {
    name: 'a role ARN with a short account',
    args: [...DOCKER, ...REGISTRY, '--role-arn', 'arn:aws:iam::1234:role/x'],
    message: /role-arn: expected an IAM role ARN like/,
  },
  {
    name: 'a user ARN given as the role',
    args: [...DOCKER, ...REGISTRY, '--role-arn', 'arn:aws:iam::123456789012:user/bob'],
    message: /role-arn: expected an IAM role ARN like/,
  },
  {
    name: 'an external id without a role',
    args: [...DOCKER, ...REGISTRY, '--external-id', 'tenant-42'],
    message: /external-id: only meaningful with a role ARN/,
  },
  {
    name: 'an external id with whitespace',
    args: [
      ...DOCKER,
      ...REGISTRY,
      '--role-arn',
      'arn:aws:iam::123456789012:role/x',
      '--external-id',
      'tenant 42',
    ],
    message: /external-id: expected 2 to 1224 characters of letters, digits and/,
  },
  {
    name: 'an endpoint URL without a scheme',
    args: [
      'docker-config',
      ...REGISTRY,
      '--endpoint-url',
      '@REC@',
      '--docker-config',
      '@DIR@/config.json',
    ],
    message: /endpoint-url: expected an http\(s\) URL like https:\/\//,
  },
  {
    name: 'an ECR Public endpoint URL without a scheme',
    args: [...DOCKER, '-r', 'public.ecr.aws', '--public-endpoint-url', '@REC@'],
    message: /public-endpoint-url: expected an http\(s\) URL like https:\/\/api\.ecr-public/,
  },
  {
    name: 'an ftp:// endpoint URL',
    args: [
      'docker-config',
      ...REGISTRY,
      '--endpoint-url',
      'ftp://@REC@',
      '--docker-config',
      '@DIR@/config.json',
    ],
    message: /endpoint-url: expected an http\(s\) URL/,
  },
  {
    name: 'an e-mail that is not one',
    args: [...DOCKER, ...REGISTRY, '--email', 'ops at example'],
    message: /email: expected an e-mail address like ops@example\.com/,
  },
  {
    name: 'a 120 KB e-mail',
    args: [...DOCKER, ...REGISTRY, '--email', `${HUGE_ARG}@example.com`],
    message: /email: expected an e-mail address of at most 254 characters/,
  },
  {
    name: 'a zero timeout',
    args: [...DOCKER, ...REGISTRY, '--timeout', '0'],
    message: /timeout: expected a positive number of seconds/,
  },
  {
    name: 'a timeout of hours',
    args: [...DOCKER, ...REGISTRY, '--timeout', '9999'],
    message: /timeout: expected at most 600 seconds/,
  },
  {
    name: 'a timeout that is not a number',
    args: [...DOCKER, ...REGISTRY, '--timeout', 'ten'],
    message: /timeout: expected a number of seconds/,
  },
  {
    name: 'a --listen port out of range',
    args: [...DOCKER, ...REGISTRY, '--listen', '127.0.0.1:99999'],
    message: /listen: "127\.0\.0\.1:99999" is not host:port; expected for example/,
  },
  {
    name: 'an unknown --output',
    args: [...DOCKER, ...REGISTRY, '--output', 'xml'],
    message: /Argument: output, Given: "xml", Choices: "table", "json"/,
  },
  {
    name: 'an unknown --log-level',
    args: [...DOCKER, ...REGISTRY, '--log-level', 'loud'],
    message: /Argument: log-level, Given: "loud", Choices: "trace"/,
  },
  {
    name: 'an unknown flag',
    args: [...DOCKER, ...REGISTRY, '--regsitry', HOST],
    message: /Unknown argument: regsitry/,
  },
  {
    name: 'a docker config path that is a directory',
    args: ['docker-config', ...REGISTRY, ...ECR, '--docker-config', '@DIR@'],
    message: /docker-config: .* is a directory; expected the path of a config\.json file/,
  },
  // ECR_REFRESH_* and the blog post's variables
  {
    name: 'ECR_REFRESH_REGISTRY not a registry',
    args: DOCKER,
    env: { ECR_REFRESH_REGISTRY: 'registry.example.com' },
    message: /invalid registry "registry\.example\.com".*expected a host like/,
  },
  {
    name: 'ECR_REFRESH_TIMEOUT not a number',
    args: [...DOCKER, ...REGISTRY],
    env: { ECR_REFRESH_TIMEOUT: 'soon' },
    message: /timeout: expected a number of seconds/,
  },
  {
    name: 'ECR_REFRESH_ROLE_ARN not an ARN',
    args: [...DOCKER, ...REGISTRY],
    env: { ECR_REFRESH_ROLE_ARN: 'role/ecr-reader' },
    message: /role-arn: expected an IAM role ARN like/,
  },
  {
    name: 'ECR_REFRESH_ENDPOINT_URL without a scheme',
    args: ['docker-config', ...REGISTRY, '--docker-config', '@DIR@/config.json'],
    env: { ECR_REFRESH_ENDPOINT_URL: '@REC@' },
    message: /endpoint-url: expected an http\(s\) URL/,
  },
  {
    name: 'ECR_REFRESH_EMAIL not an e-mail',
    args: [...DOCKER, ...REGISTRY],
    env: { ECR_REFRESH_EMAIL: 'nobody' },
    message: /email: expected an e-mail address like/,
  },
  {
    name: "the blog post's AWS_ACCOUNT_NUMBER too short",
    args: DOCKER,
    env: { AWS_ACCOUNT_NUMBER: '12345' },
    message: /account id "12345" must be exactly 12 digits/,
  },
  {
    name: "the blog post's AWS_DEFAULT_REGION unknown",
    args: DOCKER,
    env: { AWS_REGION: '', AWS_DEFAULT_REGION: 'mars-1', AWS_ACCOUNT_NUMBER: '123456789012' },
    message: /region: "mars-1" is not an AWS region/,
  },
  // Rancher 1.x: flags and CATTLE_* variables
  {
    name: 'a Rancher URL without a scheme',
    args: [...RANCHER, '--url', '@REC@/v2-beta'],
    env: CATTLE,
    message:
      /url \(--url or CATTLE_URL\): expected an http\(s\) URL like http:\/\/rancher\.example\.com:8080\/v2-beta/,
  },
  {
    name: 'CATTLE_URL with ftp://',
    args: RANCHER,
    env: { ...CATTLE, CATTLE_URL: 'ftp://@REC@/v2-beta' },
    message: /url \(--url or CATTLE_URL\): expected an http\(s\) URL/,
  },
  {
    name: 'CATTLE_URL of the Rancher 2.x API',
    args: RANCHER,
    env: { ...CATTLE, CATTLE_URL: 'http://@REC@/v3' },
    message: /names the Rancher 2\.x API \(\/v3\); this serves Rancher 1\.x environments/,
  },
  {
    name: 'CATTLE_ACCESS_KEY with a space',
    args: RANCHER,
    env: { ...CATTLE, CATTLE_ACCESS_KEY: 'ACCESS KEY1' },
    message:
      /access-key \(--access-key or CATTLE_ACCESS_KEY\): must be the key alone: no spaces, tabs or newlines/,
  },
  {
    name: 'CATTLE_SECRET_KEY with a trailing newline',
    args: RANCHER,
    env: { ...CATTLE, CATTLE_SECRET_KEY: `${CATTLE.CATTLE_SECRET_KEY}\n` },
    message: /secret-key \(--secret-key or CATTLE_SECRET_KEY\): must be the key alone/,
  },
  {
    name: 'no Rancher secret key',
    args: RANCHER,
    env: { CATTLE_URL: CATTLE.CATTLE_URL, CATTLE_ACCESS_KEY: CATTLE.CATTLE_ACCESS_KEY },
    message: /secret-key \(--secret-key or CATTLE_SECRET_KEY\): required, and not given/,
  },
  {
    name: 'a Rancher concurrency of 0',
    args: [...RANCHER, '--concurrency', '0'],
    env: CATTLE,
    message: /concurrency \(--concurrency\): .*1/,
  },
  {
    name: 'a Rancher CA file that does not exist',
    args: [...RANCHER, '--ca-file', '@DIR@/missing-ca.pem'],
    env: CATTLE,
    message: /ca-file \(--ca-file\): cannot read .*missing-ca\.pem: ENOENT/,
  },
  // Kubernetes: names, selectors, kubeconfig
  {
    name: 'a namespace with upper case and _',
    args: [...K8S, '-n', 'Team_A'],
    message:
      /k8s\.namespaces\.0: "Team_A" not a valid namespace name or glob \(lower-case letters, digits and "-"/,
  },
  {
    name: 'a namespace of 64 characters',
    args: [...K8S, '-n', 'n'.repeat(64)],
    message: /k8s\.namespaces\.0: .* a namespace name has at most 63 characters/,
  },
  {
    name: 'a 120 KB namespace',
    args: [...K8S, '-n', HUGE_ARG],
    message: /k8s\.namespaces\.0: .*at most 63 characters/,
  },
  {
    name: '"*" combined with a name',
    args: [...K8S, '-n', '*,default'],
    message: /k8s\.namespaces: "\*" \(every namespace\) cannot be combined with other names/,
  },
  {
    name: 'a Secret name Kubernetes rejects',
    args: [...K8S, '--secret-name', 'ECR_Pull'],
    message:
      /k8s\.secretName: "ECR_Pull" not a valid Secret name \(lower-case letters, digits, "-" and "\."/,
  },
  {
    name: 'a Secret name of 254 characters',
    args: [...K8S, '--secret-name', 's'.repeat(254)],
    message: /k8s\.secretName: .*at most 253 characters/,
  },
  {
    name: 'a ServiceAccount name with a space',
    args: [...K8S, '--service-account', 'ci bot'],
    message: /k8s\.serviceAccounts\.0: "ci bot" not a valid ServiceAccount name/,
  },
  {
    name: 'every ServiceAccount and a name',
    args: [...K8S, '--service-account', '*', '--service-account', 'default'],
    message: /"\*" \(every ServiceAccount\) cannot be combined with names/,
  },
  {
    name: 'a label selector that does not parse',
    args: [...K8S, '-l', 'team=a=b'],
    message:
      /k8s\.namespaceSelector: "team=a=b" not a valid label selector \(for example team=payments/,
  },
  {
    name: 'a fractional k8s concurrency',
    args: [...K8S, '--concurrency', '1.5'],
    message: /k8s\.concurrency: expected a whole number/,
  },
  {
    name: '--context with --all-contexts',
    args: [...K8S, '--context', 'c', '--all-contexts'],
    message: /context: --context and --all-contexts exclude each other/,
  },
  {
    name: "Rancher clusters through a context that is not Rancher's proxy",
    args: [...K8S, '--rancher-clusters', 'all'],
    message:
      /k8s\.rancherClusters: context "c" does not go through Rancher's proxy; use a kubeconfig of Rancher's local cluster, whose server is https:\/\/<rancher>\/k8s\/clusters\/local/,
  },
  {
    name: "Rancher clusters from the config file in service mode, through a context that is not Rancher's proxy",
    args: K8S,
    config: 'rancherClusters: [Prod EU]\nclusterConcurrency: 2\nwatch: true\n',
    message: /k8s\.rancherClusters: context "c" does not go through Rancher's proxy/,
  },
  {
    name: 'Rancher clusters in service mode with --all-contexts',
    args: [...K8S, '--rancher-clusters', 'all', '--all-contexts', '--watch'],
    message: /rancher-clusters: --all-contexts does not combine with Rancher clusters/,
  },
  {
    name: 'Rancher clusters in service mode through several contexts',
    args: [...K8S, '--rancher-clusters', 'all', '--context', 'a,b', '--watch'],
    message: /k8s\.contexts: with Rancher clusters, name at most one context/,
  },
  {
    name: '"all" Rancher clusters with cluster names',
    args: [...K8S, '--rancher-clusters', 'all,c-m-1'],
    message: /rancher-clusters: "all" cannot be combined with cluster names/,
  },
  {
    name: 'a Rancher cluster label selector that does not parse',
    args: [...K8S, '--rancher-cluster-selector', 'env in prod'],
    message: /k8s\.rancherClusterSelector: "env in prod" not a valid label selector/,
  },
  {
    name: 'a cluster concurrency of 0',
    args: [...K8S, '--rancher-clusters', 'all', '--cluster-concurrency', '0'],
    message: /k8s\.clusterConcurrency: expected at least 1/,
  },
  {
    name: 'a context the kubeconfig lacks',
    args: [...K8S, '--context', 'prod'],
    message: /k8s\.contexts: no context "prod" in kubeconfig ".*" \(known: c\)/,
  },
  {
    name: 'a kubeconfig that does not exist',
    args: ['k8s', ...REGISTRY, ...ECR, '--kubeconfig', '@DIR@/missing'],
    message: /k8s\.kubeconfig: cannot read ".*missing": ENOENT/,
  },
  {
    name: 'a kubeconfig that is a directory',
    args: ['k8s', ...REGISTRY, ...ECR, '--kubeconfig', '@DIR@'],
    message: /k8s\.kubeconfig: cannot read ".*": EISDIR/,
  },
  {
    name: 'a kubeconfig that is not YAML',
    args: K8S,
    kubeconfig: 'clusters: [\n',
    message: /k8s\.kubeconfig: cannot read ".*kubeconfig": /,
  },
  {
    name: 'a kubeconfig with no context',
    args: K8S,
    kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n',
    message: /k8s\.kubeconfig: kubeconfig ".*" defines no context/,
  },
  {
    name: 'a kubeconfig context with an invalid namespace',
    args: K8S,
    kubeconfig: VALID_KUBECONFIG.replace('namespace: default', 'namespace: Team_A'),
    message: /k8s\.contexts: context "c" names an invalid namespace "Team_A"/,
  },
  {
    name: 'a kubeconfig server without a scheme',
    args: K8S,
    kubeconfig: VALID_KUBECONFIG.replace('https://@REC@', '@REC@'),
    message: /k8s\.contexts: context "c": server "127\.0\.0\.1:\d+" is not an https:\/\/ URL/,
  },
  // The --config YAML file
  {
    name: 'a config file that is not YAML',
    args: [...DOCKER, ...REGISTRY],
    config: 'registry: [\n',
    message: /config: .*config\.yaml is not valid YAML: /,
  },
  {
    name: 'a config file with a key twice',
    args: DOCKER,
    config: `registry: ${HOST}\nregistry: ${HOST}\n`,
    message: /config: .*config\.yaml is not valid YAML: Map keys must be unique/,
  },
  {
    name: 'a config file with a misspelt key',
    args: DOCKER,
    config: `regsitry: ${HOST}\n`,
    message: /config: .*config\.yaml: \(top level\): Unrecognized key: "regsitry"/,
  },
  {
    name: 'a config file timeout that is a string',
    args: [...DOCKER, ...REGISTRY],
    config: 'timeout: ten\n',
    message: /config: .*config\.yaml: timeout: Invalid input: expected number/,
  },
  {
    name: 'a config file that is a list',
    args: [...DOCKER, ...REGISTRY],
    config: '- a\n- b\n',
    message: /config: .*config\.yaml: \(top level\): Invalid input: expected object/,
  },
  // Extra labels and annotations on the Secret: Kubernetes' rules, and ours stay authoritative
  {
    name: 'a Secret label that is not key=value',
    args: [...K8S, '--secret-label', 'team'],
    message: /secret-label: "team" is not key=value \(for example team=payments\)/,
  },
  {
    name: 'a Secret label key with a space',
    args: [...K8S, '--secret-label', 'my team=a'],
    message: /k8s\.secretLabels: "my team" is not a valid key \(an optional DNS subdomain prefix/,
  },
  {
    name: 'a Secret label value of 64 characters',
    args: [...K8S, '--secret-label', `team=${'v'.repeat(64)}`],
    message:
      /k8s\.secretLabels: the value of "team", "v+", is not a valid label value \(at most 63 characters/,
  },
  {
    name: 'our own managed-by label',
    args: [...K8S, '--secret-label', 'app.kubernetes.io/managed-by=helm'],
    message:
      /k8s\.secretLabels: "app\.kubernetes\.io\/managed-by" is set by ecr-refresh itself: it marks and records the Secrets it manages/,
  },
  {
    name: 'one of our record annotations, for rancher2',
    args: [
      'rancher2',
      ...REGISTRY,
      ...ECR,
      '--kubeconfig',
      '@DIR@/kubeconfig',
      '--project',
      'c-1:p-1',
      '--secret-annotation',
      'ecr-refresh/expires-at=2099-01-01T00:00:00Z',
    ],
    message:
      /rancher2\.secretAnnotations: "ecr-refresh\/expires-at" is set by ecr-refresh itself \(every key under ecr-refresh\/\)/,
  },
  {
    name: 'ECR_REFRESH_SECRET_LABEL with an invalid value',
    args: K8S,
    env: { ECR_REFRESH_SECRET_LABEL: 'team=a,tier=web!' },
    message: /k8s\.secretLabels: the value of "tier", "web!", is not a valid label value/,
  },
  {
    name: 'a config file annotation key Kubernetes rejects',
    args: K8S,
    config: 'secretAnnotations:\n  "example.com/": x\n',
    message: /k8s\.secretAnnotations: "example\.com\/" is not a valid key/,
  },
  {
    name: 'a config file with labels that are not a map',
    args: K8S,
    config: 'secretLabels: [team=a]\n',
    message: /config: .*config\.yaml: secretLabels: /,
  },
  {
    name: 'a config file that does not exist',
    args: [...DOCKER, ...REGISTRY, '--config', '@DIR@/missing.yaml'],
    message: /config: cannot read .*missing\.yaml: ENOENT/,
  },
  {
    name: 'a config file with a 1 MiB registry',
    args: DOCKER,
    config: `registry: "${HUGE_FILE_VALUE}"\n`,
    message: INVALID_REGISTRY,
  },
  {
    name: 'a config file naming a non-ECR registry',
    args: DOCKER,
    config: 'registries: [docker.io]\n',
    message: /invalid registry "docker\.io"/,
  },
  {
    name: 'a config file namespace Kubernetes rejects',
    args: K8S,
    config: 'namespace: [Team_A]\n',
    message: /k8s\.namespaces\.0: "Team_A" not a valid namespace name/,
  },
];

describe('e2e: bad input is refused with exit 64, a message that names it, and no request', function () {
  this.timeout(60_000);
  let recorder: ConnectionRecorder;
  let dir: string;

  before(async () => {
    recorder = await startConnectionRecorder();
  });
  after(async () => recorder.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-bad-input-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const fill = (text: string) =>
    text.replaceAll('@REC@', recorder.hostPort).replaceAll('@DIR@', dir);

  it(`has at least 40 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 40);
  });

  for (const input of cases) {
    it(`refuses ${input.name}`, async () => {
      await writeFile(join(dir, 'kubeconfig'), fill(input.kubeconfig ?? VALID_KUBECONFIG));
      const args = input.args.map(fill);
      if (input.config !== undefined) {
        await writeFile(join(dir, 'config.yaml'), fill(input.config));
        args.push('--config', join(dir, 'config.yaml'));
      }
      const env = {
        ...DUMMY_AWS_ENV,
        ...Object.fromEntries(
          Object.entries(input.env ?? {}).map(([name, value]) => [name, fill(value)]),
        ),
      };
      const before = recorder.connections;
      const run = await runCli(args, env);
      assert.equal(run.status, 64, `${run.stdout}\n${run.stderr.slice(0, 2000)}`);
      assert.match(run.stderr, input.message);
      assert.ok(
        run.stderr.length < MAX_MESSAGE,
        `the message has ${run.stderr.length} characters: ${run.stderr.slice(0, 300)}…`,
      );
      assert.equal(run.stdout, '');
      assert.equal(recorder.connections - before, 0, 'a connection was made to a peer');
      assert.equal(existsSync(join(dir, 'config.json')), false, 'a docker config was written');
    });
  }
});

describe('e2e: a namespace glob that matches nothing is an empty run, not bad input', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
  });

  // Whether a glob matches is a fact of the cluster now, not of the input: namespaces come and go,
  // and a CronJob or --watch set up before the team's namespaces exist must not fail for that.
  it('exits 0 with no target, no ECR call and a warning that nothing matched', async () => {
    const glob = `${uniqueName('nothing')}-*`;
    const run = await runCli(
      [
        'k8s',
        ...REGISTRY,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kube.kubeconfigPath,
        '-n',
        glob,
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      totals: Record<string, number>;
      ecrCalls: number;
      results: unknown[];
    };
    assert.deepEqual(report.results, []);
    assert.equal(report.ecrCalls, 0);
    assert.match(
      run.stderr,
      /"level":"warn".*no target matched the namespaces, selector or environments given/,
    );
  });
});
