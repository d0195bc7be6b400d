import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { ExitStatus } from '../../packages/cli/src/exit-status.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import {
  DEPLOY_DIR,
  FAILURE_ONLY_GRANTS,
  HOST,
  SECRET,
  canI,
  createNamespaces,
  intoFreshNamespace,
  dockerConfigOf,
  kubectl,
  kustomize,
  pullSecretsOf,
  readSecret,
  uniqueName,
  helmTemplate,
  useChartSuite,
} from './k8s-helpers.ts';

const CHART = join(DEPLOY_DIR, 'helm', 'ecr-refresh');
const MONITOR_CRDS_FETCH = join(import.meta.dirname, '..', 'peers', 'prometheus-crds', 'fetch.sh');
/** The chart's documented values sets (chart-testing's ci/ convention), each linted, rendered and dry-run. */
const CI_VALUES = readdirSync(join(CHART, 'ci'))
  .filter((file) => file.endsWith('-values.yaml'))
  .sort();

/** Fetches the Prometheus Operator's ServiceMonitor and PodMonitor CRDs on first use (cached outside the clone); their file. */
function monitorCrds(): string {
  return execFileSync(MONITOR_CRDS_FETCH, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  }).trim();
}

describe('e2e: deploy manifests and Helm chart on a real API server', function () {
  this.timeout(900_000);
  const suite = useChartSuite('ecr-refresh-deploy-');

  const dryRun = (objects: readonly any[]) =>
    kubectl(
      suite.kube,
      ['apply', '--dry-run=server', '-f', '-'],
      objects.map((object) => `---\n${stringify(object)}`).join(''),
    );
  const renderChart = (release: string, namespace: string, args: readonly string[]): any[] =>
    helmTemplate(suite.helm, [release, CHART, '--namespace', namespace, ...args]);
  /** The chart rendered with these values (the registry of the tests unless they name theirs). */
  const template = async (
    release: string,
    namespace: string,
    values: Record<string, unknown>,
  ): Promise<any[]> => {
    const valuesFile = join(suite.workdir, `${release}.values.yaml`);
    await writeFile(valuesFile, stringify({ registries: [HOST], ...values }));
    return renderChart(release, namespace, ['--values', valuesFile]);
  };

  describe('kustomize', () => {
    const installs: Array<[string, string, string[]]> = [
      ['cluster-wide', 'cluster-wide', []],
      [
        'cluster-wide in service mode, every ServiceAccount',
        'cluster-wide',
        ['service-mode', 'all-service-accounts'],
      ],
      [
        'cluster-wide in service mode with the metrics Service and another Secret name',
        'cluster-wide',
        ['service-mode', 'metrics-service', 'secret-name'],
      ],
      ['single-namespace', 'single-namespace', []],
      ['single-namespace in service mode', 'single-namespace', ['service-mode']],
    ];
    for (const [name, directory, components] of installs) {
      it(`${name} passes kubectl apply --dry-run=server`, async () => {
        const overlay = await mkdtemp(join(suite.workdir, 'overlay-'));
        await writeFile(
          join(overlay, 'kustomization.yaml'),
          stringify({
            apiVersion: 'kustomize.config.k8s.io/v1beta1',
            kind: 'Kustomization',
            resources: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', directory))],
            components: components.map((component) =>
              relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'components', component)),
            ),
          }),
        );
        const objects = kustomize(suite.kube, overlay);
        await intoFreshNamespace(suite.kube, objects);
        const kinds = objects.map((object) => object.kind).sort();
        assert.ok(
          kinds.includes(components.includes('service-mode') ? 'Deployment' : 'CronJob'),
          kinds.join(','),
        );
        assert.equal(kinds.includes('CronJob') && kinds.includes('Deployment'), false);
        const output = dryRun(objects);
        assert.match(output, /\(server dry run\)/);
      });
    }

    it('ships a CronJob that cannot overlap, keeps bounded history and runs unprivileged', async () => {
      const cronJob = kustomize(suite.kube, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide')).find(
        (object) => object.kind === 'CronJob',
      );
      assert.equal(cronJob.apiVersion, 'batch/v1');
      assert.equal(cronJob.spec.concurrencyPolicy, 'Forbid');
      assert.ok(
        cronJob.spec.successfulJobsHistoryLimit <= 3 && cronJob.spec.failedJobsHistoryLimit <= 3,
      );
      const pod = cronJob.spec.jobTemplate.spec.template.spec;
      const container = pod.containers[0];
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.equal(container.securityContext.privileged, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
      assert.equal(pod.hostNetwork, undefined);
    });
  });

  describe('helm chart', () => {
    before(async () => {
      // The chart's ServiceMonitor and PodMonitor are checked against the Prometheus Operator's real CRDs.
      kubectl(suite.kube, ['apply', '--server-side', '--force-conflicts', '-f', monitorCrds()]);
      kubectl(suite.kube, [
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/servicemonitors.monitoring.coreos.com',
        'crd/podmonitors.monitoring.coreos.com',
      ]);
    });

    for (const file of CI_VALUES) {
      it(`ci/${file} is clean under helm lint --strict`, () => {
        const output = execFileSync(
          suite.helm,
          ['lint', '--strict', CHART, '--values', join(CHART, 'ci', file)],
          { encoding: 'utf8' },
        );
        assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
        assert.doesNotMatch(output, /\[(WARNING|ERROR)\]/);
      });

      it(`ci/${file} renders into manifests that pass kubectl apply --dry-run=server`, async () => {
        const namespace = uniqueName('helm-dry');
        await suite.kube.createNamespace(namespace);
        const objects = renderChart(uniqueName('rel'), namespace, [
          '--values',
          join(CHART, 'ci', file),
        ]);
        assert.ok(
          objects.some((object) => object.kind === 'CronJob' || object.kind === 'Deployment'),
          objects.map((object) => object.kind).join(','),
        );
        // Every object accepted, the monitors by the Prometheus Operator's CRDs included.
        const output = dryRun(objects);
        assert.equal(output.match(/ \(server dry run\)$/gm)?.length, objects.length, output);
      });
    }

    const refused: Array<[string, string[], RegExp]> = [
      ['no registry at all (the defaults)', [], /at '\/registries': minItems: got 0, want 1/],
      [
        'an empty registries',
        ['--set-json', 'registries=[]'],
        /at '\/registries': minItems: got 0, want 1/,
      ],
      [
        'a misspelt top-level value',
        ['--set', `registry=${HOST}`],
        /at '': additional properties 'registry' not allowed/,
      ],
      [
        'a misspelt nested value',
        ['--set', 'image.tagg=1.0'],
        /at '\/image': additional properties 'tagg' not allowed/,
      ],
      [
        'a scope it does not know',
        ['--set', 'scope=everywhere'],
        /at '\/scope': value must be one of 'cluster', 'namespace'/,
      ],
      [
        'a registry object without its host',
        ['--set-json', 'registries=[{"roleArn":"arn:aws:iam::123456789012:role/r"}]'],
        /at '\/registries\/0': missing property 'host'/,
      ],
      [
        'a registry object with an unknown key',
        ['--set-json', `registries=[{"host":"${HOST}","role":"r"}]`],
        /at '\/registries\/0': additional properties 'role' not allowed/,
      ],
      [
        'a registry that is no ECR registry',
        ['--set', 'registries={docker.io}'],
        /at '\/registries\/0': 'docker.io' does not match pattern/,
      ],
      [
        'a Secret label value Kubernetes refuses',
        ['--set-json', 'secretLabels={"team":"a b"}'],
        /at '\/secretLabels\/team': 'a b' does not match pattern/,
      ],
      [
        'a volume with two sources',
        ['--set-json', 'extraVolumes=[{"name":"ca","configMap":{"name":"ca"},"secret":{}}]'],
        /at '\/extraVolumes\/0': maxProperties: got 3, want 2/,
      ],
      [
        'a monitor in cronjob mode',
        ['--set', 'metrics.podMonitor.enabled=true'],
        /need mode=deployment/,
      ],
    ];
    for (const [name, args, message] of refused) {
      it(`refuses ${name} before rendering anything`, () => {
        const base =
          args.some((arg) => arg.startsWith('registries=')) || name.includes('defaults')
            ? []
            : ['--set', `registries={${HOST}}`];
        const run = spawnSync(suite.helm, ['template', 't', CHART, ...base, ...args], {
          encoding: 'utf8',
        });
        assert.notEqual(run.status, 0, run.stdout);
        assert.equal(run.stdout, '', 'nothing rendered');
        assert.match(run.stderr, message);
      });
    }

    it('two releases of the same name in two namespaces coexist: their cluster-scoped RBAC is named per namespace', async () => {
      const namespaces = [uniqueName('helm-twin'), uniqueName('helm-twin')];
      await createNamespaces(suite.kube, namespaces);
      for (const namespace of namespaces) {
        const objects = renderChart('ecr-refresh', namespace, ['--set', `registries={${HOST}}`]);
        const clusterScoped = objects.filter((object) => object.kind.startsWith('Cluster'));
        assert.deepEqual(
          clusterScoped.map((object) => object.metadata.name),
          [`ecr-refresh-${namespace}`, `ecr-refresh-${namespace}`],
        );
        // Applied for real (in its namespace, as helm install does), the second release's objects do not replace the first one's.
        kubectl(
          suite.kube,
          ['apply', '-n', namespace, '-f', '-'],
          objects
            .filter((object) => /Role|Binding|ServiceAccount/.test(object.kind))
            .map((object) => `---\n${stringify(object)}`)
            .join(''),
        );
      }
      for (const namespace of namespaces) {
        assert.equal(
          canI(
            suite.kube,
            `system:serviceaccount:${namespace}:ecr-refresh`,
            'update',
            `secrets/${SECRET}`,
            namespaces[0] ?? '',
          ),
          true,
          namespace,
        );
      }
    });

    it('nameOverride and fullnameOverride name the objects and the labels', () => {
      const named = renderChart('rel', 'default', [
        '--set',
        `registries={${HOST}}`,
        '--set',
        'nameOverride=creds',
      ]);
      assert.ok(
        named.every((object) => object.metadata.labels['app.kubernetes.io/name'] === 'creds'),
      );
      assert.ok(
        named
          .filter((object) => !object.kind.startsWith('Cluster'))
          .every((object) => object.metadata.name === 'rel-creds'),
      );
      const full = renderChart('rel', 'default', [
        '--set',
        `registries={${HOST}}`,
        '--set',
        'fullnameOverride=ecr-creds',
      ]);
      assert.deepEqual([...new Set(full.map((object) => object.metadata.name))].sort(), [
        'ecr-creds',
        'ecr-creds-default',
      ]);
    });

    it('a CronJob run failing with bad configuration (exit 64) is not retried; an evicted one is, without counting', () => {
      const cronJob = renderChart('rel', 'default', ['--set', `registries={${HOST}}`]).find(
        (object) => object.kind === 'CronJob',
      );
      const job = cronJob.spec.jobTemplate.spec;
      assert.equal(job.template.spec.restartPolicy, 'Never');
      assert.deepEqual(job.podFailurePolicy.rules, [
        {
          action: 'FailJob',
          onExitCodes: {
            containerName: job.template.spec.containers[0].name,
            operator: 'In',
            values: [ExitStatus.badInput],
          },
        },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ]);
      const kustomized = kustomize(suite.kube, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide')).find(
        (object) => object.kind === 'CronJob',
      );
      assert.deepEqual(kustomized.spec.jobTemplate.spec.podFailurePolicy, job.podFailurePolicy);
    });

    it('service mode with a ServiceMonitor: the Service selects the pod and exposes /metrics on the health port, which the monitor scrapes', () => {
      const objects = renderChart('rel', 'default', [
        '--values',
        join(CHART, 'ci', 'service-mode-values.yaml'),
        '--set',
        'healthPort=9102',
      ]);
      const byKind = (kind: string) => objects.find((object) => object.kind === kind);
      const pod = byKind('Deployment').spec.template;
      const container = pod.spec.containers[0];
      assert.ok(container.args.includes('--listen=0.0.0.0:9102'), container.args.join(' '));
      const port = container.ports.find(
        (candidate: { name: string }) =>
          candidate.name === byKind('Service').spec.ports[0].targetPort,
      );
      assert.equal(port?.containerPort, 9102);
      for (const [label, value] of Object.entries(byKind('Service').spec.selector))
        assert.equal(pod.metadata.labels[label], value, label);
      for (const [label, value] of Object.entries(
        byKind('ServiceMonitor').spec.selector.matchLabels,
      ))
        assert.equal(byKind('Service').metadata.labels[label], value, label);
      assert.deepEqual(byKind('ServiceMonitor').spec.endpoints, [
        { port: byKind('Service').spec.ports[0].name, path: '/metrics', interval: '1m' },
      ]);
      assert.equal(byKind('ServiceMonitor').metadata.labels.release, 'prometheus');
    });

    it('passes the registries, in both forms, as the --config file and Secret labels and annotations as flags', () => {
      const objects = renderChart('rel', 'default', [
        '--values',
        join(CHART, 'ci', 'scheduling-and-labels-values.yaml'),
        '--values',
        join(CHART, 'ci', 'per-registry-identity-values.yaml'),
      ]);
      const configMap = objects.find((object) => object.kind === 'ConfigMap');
      const cronJob = objects.find((object) => object.kind === 'CronJob');
      const pod = cronJob.spec.jobTemplate.spec.template.spec;
      const mount = pod.containers[0].volumeMounts.find((candidate: { name: string }) =>
        pod.volumes.some(
          (volume: any) =>
            volume.name === candidate.name && volume.configMap?.name === configMap.metadata.name,
        ),
      );
      assert.ok(
        pod.containers[0].args.includes(`--config=${mount.mountPath}/config.yaml`),
        pod.containers[0].args.join(' '),
      );
      assert.deepEqual(parse(configMap.data['config.yaml']).registries, [
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        {
          host: '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
          roleArn: 'arn:aws:iam::210987654321:role/ecr-reader',
          externalId: 'ecr-refresh-prod',
        },
        { host: '345678901234:us-east-1', profile: 'legacy' },
      ]);
      assert.deepEqual(
        pod.containers[0].args.filter((arg: string) => arg.startsWith('--secret-')),
        [
          '--secret-label=team=platform',
          '--secret-annotation=example.com/owner=platform@example.com',
        ],
      );
      assert.equal(cronJob.spec.timeZone, 'Europe/Lisbon');
      assert.equal(cronJob.spec.suspend, true);
      assert.equal(pod.priorityClassName, 'ecr-refresh-critical');
    });

    /**
     * Installs the chart's ServiceAccount and RBAC for real, then runs the CLI as the chart's
     * container would (its env, the ServiceAccount's token) and checks the audit log: no 403,
     * and every granted verb used.
     */
    async function runAsChart(
      values: Record<string, unknown>,
      namespace: string,
      runs: string[][],
    ): Promise<void> {
      const release = uniqueName('rel');
      const objects = await template(release, namespace, values);
      kubectl(
        suite.kube,
        ['apply', '-f', '-'],
        objects
          .filter((object) => /Role|Binding|ServiceAccount/.test(object.kind))
          .map((object) => `---\n${stringify(object)}`)
          .join(''),
      );
      const workload = objects.find(
        (object) => object.kind === 'CronJob' || object.kind === 'Deployment',
      );
      const pod =
        workload.kind === 'CronJob'
          ? workload.spec.jobTemplate.spec.template.spec
          : workload.spec.template.spec;
      const env = Object.fromEntries(
        pod.containers[0].env.map((variable: { name: string; value: string }) => [
          variable.name,
          variable.value,
        ]),
      );
      const token = await suite.kube.createServiceAccountToken(namespace, pod.serviceAccountName, {
        expirationSeconds: 900,
      });
      const kubeconfig = await suite.kube.kubeconfigForToken(token, namespace);
      // The container's arguments, its --config file (the chart's ConfigMap) written here instead of mounted.
      const configFile = join(suite.workdir, `${release}.config.yaml`);
      await writeFile(
        configFile,
        objects.find((object) => object.kind === 'ConfigMap').data['config.yaml'],
      );
      const args = pod.containers[0].args.map((arg: string) =>
        arg.startsWith('--config=') ? `--config=${configFile}` : arg,
      );
      assert.notDeepEqual(args, pod.containers[0].args, 'the container reads a --config file');
      for (const extra of runs) {
        const run = await runCli(
          [
            ...args,
            '--kubeconfig',
            kubeconfig,
            '--endpoint-url',
            suite.moto.endpoint,
            '--output',
            'json',
            ...extra,
          ],
          { ...env, ...DUMMY_AWS_ENV, ECR_REFRESH_LOG_LEVEL: 'warn' },
        );
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.ok(JSON.parse(run.stdout).results.length > 0, run.stdout);
      }
      const user = `system:serviceaccount:${namespace}:${pod.serviceAccountName}`;
      const events = (await suite.kube.auditEvents(user)).filter(
        (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
      );
      assert.deepEqual(
        events
          .filter((event) => event.responseStatus?.code === 403)
          .map((event) => `${event.verb} ${event.requestURI}`),
        [],
      );
      const used = [
        ...new Set(events.map((event) => `${event.objectRef?.resource} ${event.verb}`)),
      ].sort();
      const rules = objects
        .filter((object) => /^(Cluster)?Role$/.test(object.kind))
        .flatMap((object) => object.rules);
      const granted = [
        ...new Set(
          rules.flatMap((rule: { resources: string[]; verbs: string[] }) =>
            rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${resource} ${verb}`)),
          ),
        ),
      ].sort();
      // No target fails here: the Event grants stay unused (k8s-rbac.spec.ts uses them).
      assert.deepEqual(
        used,
        granted.filter((grant) => !FAILURE_ONLY_GRANTS.includes(grant)),
      );
    }

    it('cluster scope, globs, every ServiceAccount: the rendered settings and RBAC work together, no 403, no unused grant', async () => {
      const home = uniqueName('helm-home');
      const prefix = uniqueName('helm-cw');
      await createNamespaces(suite.kube, [home, `${prefix}-a`, `${prefix}-b`]);
      // A plain name (the flag over the chart's setting) reads the namespace for its opt-out label: granted, so used here.
      await runAsChart(
        { namespaces: [`${prefix}-*`], serviceAccounts: ['*'], secretName: 'ecr-{namespace}' },
        home,
        [[], ['--force'], ['-n', `${prefix}-a`]],
      );
      const secret = await readSecret(suite.kube, `${prefix}-a`, `ecr-${prefix}-a`);
      assert.ok(dockerConfigOf(secret).auths[HOST]);
      assert.deepEqual(await pullSecretsOf(suite.kube, `${prefix}-b`), [`ecr-${prefix}-b`]);
    });

    it('cluster scope, globs, the default Secret name and ServiceAccount: lists by name and reads by name, no 403, no unused grant', async () => {
      const home = uniqueName('helm-home');
      const prefix = uniqueName('helm-lists');
      await createNamespaces(suite.kube, [home, `${prefix}-a`, `${prefix}-b`], {
        pullSecrets: ['theirs'],
      });
      // Globs read what is in place with lists by name; a plain name (the flag over the chart's setting) reads it by name.
      await runAsChart({ namespaces: [`${prefix}-*`] }, home, [
        [],
        ['--force'],
        ['-n', `${prefix}-a`, '--force'],
      ]);
      for (const namespace of [`${prefix}-a`, `${prefix}-b`])
        assert.deepEqual(await pullSecretsOf(suite.kube, namespace), ['theirs', SECRET]);
    });

    it('namespace scope with the blog naming: only its own namespace, no 403, no unused grant', async () => {
      const namespace = uniqueName('helm-ns');
      await createNamespaces(suite.kube, [namespace], { pullSecrets: ['theirs'] });
      await runAsChart({ scope: 'namespace', secretName: 'ecr-{namespace}' }, namespace, [
        [],
        ['--force'],
      ]);
      assert.ok(await readSecret(suite.kube, namespace, `ecr-${namespace}`));
      assert.deepEqual(await pullSecretsOf(suite.kube, namespace), ['theirs', `ecr-${namespace}`]);
    });
  });

  // Each grant as one (groups, resource, names, verb): the same permissions, however they are grouped into rules.
  const normalise = (rules: any[]) =>
    [
      ...new Set(
        rules.flatMap((rule) =>
          rule.resources.flatMap((resource: string) =>
            rule.verbs.map((verb: string) =>
              JSON.stringify([rule.apiGroups, resource, rule.resourceNames ?? null, verb]),
            ),
          ),
        ),
      ),
    ].sort();

  it('the chart and the kustomize install grant the same rules for the same choice', async () => {
    const chartRules = (await template('same', 'default', {})).find(
      (object) => object.kind === 'ClusterRole',
    ).rules;
    const kustomizeRules = kustomize(
      suite.kube,
      join(DEPLOY_DIR, 'kubernetes', 'cluster-wide'),
    ).find((object) => object.kind === 'ClusterRole').rules;
    assert.deepEqual(normalise(chartRules), normalise(kustomizeRules));
  });

  it('in service mode too: the chart as a Deployment grants what the service-mode component does (watch included)', async () => {
    const chartRules = (await template('same-svc', 'default', { mode: 'deployment' })).find(
      (object) => object.kind === 'ClusterRole',
    ).rules;
    const overlay = await mkdtemp(join(suite.workdir, 'overlay-'));
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'cluster-wide'))],
        components: [
          relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'components', 'service-mode')),
        ],
      }),
    );
    const kustomizeRules = kustomize(suite.kube, overlay).find(
      (object) => object.kind === 'ClusterRole',
    ).rules;
    assert.deepEqual(normalise(chartRules), normalise(kustomizeRules));
    assert.ok(
      normalise(chartRules).some((grant) => grant.includes('"watch"')),
      'the service watches',
    );
  });
});
