import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  rancherKubeconfigText,
  startKubeApiServer,
  startRancherProxy,
  type KubeApiServer,
  type RancherProxy,
} from '../peers/index.ts';
import { createRancherCluster, installRancherKinds } from '../peers/rancher2/rancher-management.ts';
import { DUMMY_AWS_ENV, runCli } from '../support/run-cli.ts';
import {
  DEPLOY_DIR,
  HOST,
  MOTO_PASSWORD,
  createNamespaces,
  dockerConfigOf,
  helmTemplate,
  useChartSuite,
  kubectl,
  readSecret,
  targetsByAction,
  uniqueName,
} from './k8s-helpers.ts';

const CHART = join(DEPLOY_DIR, 'helm', 'ecr-refresh');
const RBAC_KINDS = ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];

/** The rendered pod spec of the CronJob or the Deployment. */
function podOf(objects: readonly any[]): any {
  const workload = objects.find(
    (object) => object.kind === 'CronJob' || object.kind === 'Deployment',
  );
  return workload.kind === 'CronJob'
    ? workload.spec.jobTemplate.spec.template.spec
    : workload.spec.template.spec;
}

/** The container's environment, by name. */
function envOf(pod: any): Record<string, string> {
  return Object.fromEntries(
    pod.containers[0].env.map((variable: { name: string; value: string }) => [
      variable.name,
      variable.value,
    ]),
  );
}

/** The volume of the pod that projects a Secret, and where the container mounts it. */
function secretVolumeOf(pod: any): { volume: any; mount: any } {
  const volumes = pod.volumes.filter((volume: any) => volume.secret !== undefined);
  assert.equal(volumes.length, 1, JSON.stringify(pod.volumes));
  const mount = pod.containers[0].volumeMounts.find(
    (candidate: { name: string }) => candidate.name === volumes[0].name,
  );
  return { volume: volumes[0], mount };
}

// The chart installed fleet-wide (rancher.* values): one CronJob or Deployment on Rancher's local
// cluster serving the downstream clusters through Rancher's proxy with a kubeconfig Secret.
describe('e2e: the Helm chart serving a Rancher fleet (rancher.* values)', function () {
  this.timeout(600_000);
  const suite = useChartSuite('ecr-refresh-chart-fleet-');

  /** `helm template` of the chart with these values (the tests' registry unless they name theirs), as objects. */
  async function render(
    namespace: string,
    values: Record<string, unknown>,
    release = 'fleet',
  ): Promise<any[]> {
    const valuesFile = join(suite.workdir, `${uniqueName('values')}.yaml`);
    await writeFile(valuesFile, stringify({ registries: [HOST], ...values }));
    return helmTemplate(suite.helm, [
      release,
      CHART,
      '--namespace',
      namespace,
      '--values',
      valuesFile,
    ]);
  }

  /** The Secret `rancher-kubeconfig` as the README makes it: `kubectl create secret generic … --from-file=<key>=<file>`. */
  const createKubeconfigSecret = (
    namespace: string,
    key: string,
    file: string,
    options: readonly string[] = [],
  ): string =>
    kubectl(suite.kube, [
      '-n',
      namespace,
      'create',
      'secret',
      'generic',
      'rancher-kubeconfig',
      `--from-file=${key}=${file}`,
      ...options,
    ]);

  const fleetValues = {
    namespaces: ['*'],
    rancher: {
      clusters: ['c-m-4xk2p9qz', 'Prod EU'],
      clusterSelector: 'env=prod',
      clusterConcurrency: 2,
      clusterTimeout: 60,
      kubeconfigSecret: 'rancher-kubeconfig',
      kubeconfigSecretKey: 'rancher.yaml',
    },
  };

  for (const mode of ['cronjob', 'deployment'] as const) {
    it(`${mode}: mounts the kubeconfig Secret read-only where --kubeconfig reads it, passes the fleet settings, makes no RBAC`, async () => {
      const objects = await render('ecr-refresh', { ...fleetValues, mode });
      const kinds = objects.map((object) => object.kind);
      assert.deepEqual(
        kinds.filter((kind) => RBAC_KINDS.includes(kind)),
        [],
        "the permissions are Rancher's, none is granted on the local cluster",
      );
      assert.ok(kinds.includes('ServiceAccount'), 'kept for IRSA and EKS Pod Identity');
      const pod = podOf(objects);
      assert.equal(pod.automountServiceAccountToken, false);

      const { volume, mount } = secretVolumeOf(pod);
      assert.equal(volume.secret.secretName, 'rancher-kubeconfig');
      assert.equal(
        volume.secret.optional,
        undefined,
        'a missing Secret keeps the pod from starting',
      );
      assert.equal(volume.secret.items.length, 1);
      assert.equal(volume.secret.items[0].key, 'rancher.yaml');
      assert.equal(mount.readOnly, true);
      const args: string[] = pod.containers[0].args;
      assert.deepEqual(
        args.filter((arg) => arg.startsWith('--kubeconfig')),
        [`--kubeconfig=${mount.mountPath}/${volume.secret.items[0].path}`],
      );
      assert.equal(args.includes('--watch'), mode === 'deployment', args.join(' '));

      const env = envOf(pod);
      assert.equal(env.ECR_REFRESH_RANCHER_CLUSTERS, 'c-m-4xk2p9qz,Prod EU');
      assert.equal(env.ECR_REFRESH_RANCHER_CLUSTER_SELECTOR, 'env=prod');
      assert.equal(env.ECR_REFRESH_CLUSTER_CONCURRENCY, '2');
      assert.equal(env.ECR_REFRESH_CLUSTER_TIMEOUT, '60');
      assert.equal(env.ECR_REFRESH_NAMESPACE, '*');
    });
  }

  it('without rancher.* values: the ClusterRole is made, no Secret is mounted, no fleet setting is passed', async () => {
    const objects = await render('ecr-refresh', { namespaces: ['*'] });
    assert.deepEqual(
      objects.filter((object) => RBAC_KINDS.includes(object.kind)).map((object) => object.kind),
      ['ClusterRole', 'ClusterRoleBinding'],
    );
    const pod = podOf(objects);
    assert.equal(pod.automountServiceAccountToken, undefined);
    assert.deepEqual(
      pod.volumes.filter((volume: any) => volume.secret !== undefined),
      [],
    );
    assert.equal(
      pod.containers[0].args.some((arg: string) => arg.startsWith('--kubeconfig')),
      false,
    );
    assert.deepEqual(
      Object.keys(envOf(pod)).filter((name) => /RANCHER|CLUSTER/.test(name)),
      [],
    );
  });

  it('a cluster selector alone serves the labelled clusters; the Secret key defaults to "kubeconfig"', async () => {
    const pod = podOf(
      await render('ecr-refresh', {
        rancher: { clusterSelector: 'env in (prod,staging)', kubeconfigSecret: 'rancher' },
      }),
    );
    const env = envOf(pod);
    assert.equal(env.ECR_REFRESH_RANCHER_CLUSTERS, undefined);
    assert.equal(env.ECR_REFRESH_RANCHER_CLUSTER_SELECTOR, 'env in (prod,staging)');
    assert.equal(env.ECR_REFRESH_CLUSTER_CONCURRENCY, '4');
    assert.equal(env.ECR_REFRESH_CLUSTER_TIMEOUT, '300');
    assert.deepEqual(secretVolumeOf(pod).volume.secret.items, [
      { key: 'kubeconfig', path: 'kubeconfig' },
    ]);
  });

  it("the install notes name the clusters, the kubeconfig Secret and Rancher's roles", () => {
    const install = execFileSync(
      suite.helm,
      [
        'install',
        'fleet',
        CHART,
        '--namespace',
        'ecr-refresh',
        '--dry-run=client',
        '--values',
        join(CHART, 'ci', 'rancher-fleet-values.yaml'),
      ],
      { encoding: 'utf8' },
    );
    const notes = install.slice(install.indexOf('NOTES:'));
    assert.match(notes, /in every Rancher cluster \(not local\), through Rancher's proxy/);
    assert.match(notes, /key "kubeconfig" of Secret ecr-refresh\/rancher-fleet-kubeconfig/);
    assert.match(notes, /No RBAC is made here: .*deploy\/rancher2\/fleet/s);
  });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'clusters without a kubeconfig Secret',
      { rancher: { clusters: ['all'] } },
      /rancher\.clusters and rancher\.clusterSelector need rancher\.kubeconfigSecret/,
    ],
    [
      'a kubeconfig Secret without clusters',
      { rancher: { kubeconfigSecret: 'rancher' } },
      /rancher\.kubeconfigSecret needs rancher\.clusters or rancher\.clusterSelector/,
    ],
    [
      'a fleet with scope namespace',
      { scope: 'namespace', rancher: { clusters: ['all'], kubeconfigSecret: 'rancher' } },
      /need scope=cluster/,
    ],
    [
      '"all" with cluster names',
      { rancher: { clusters: ['all', 'c-m-4xk2p9qz'], kubeconfigSecret: 'rancher' } },
      /rancher\.clusters: "all" cannot be combined with cluster ids or names/,
    ],
    [
      'a cluster name holding a comma',
      { rancher: { clusters: ['Prod, EU'], kubeconfigSecret: 'rancher' } },
      /at '\/rancher\/clusters\/0': 'Prod, EU' does not match pattern/,
    ],
    [
      'a cluster concurrency of 0',
      { rancher: { clusters: ['all'], kubeconfigSecret: 'rancher', clusterConcurrency: 0 } },
      /at '\/rancher\/clusterConcurrency': minimum: got 0, want 1/,
    ],
    [
      'a cluster timeout over an hour',
      { rancher: { clusters: ['all'], kubeconfigSecret: 'rancher', clusterTimeout: 7200 } },
      /at '\/rancher\/clusterTimeout': maximum: got 7,?200, want 3,?600/,
    ],
    [
      'a Secret name Kubernetes refuses',
      { rancher: { clusters: ['all'], kubeconfigSecret: 'Rancher_KC' } },
      /at '\/rancher\/kubeconfigSecret': 'Rancher_KC' does not match pattern/,
    ],
    [
      'a misspelt rancher value',
      { rancher: { cluster: ['all'], kubeconfigSecret: 'rancher' } },
      /at '\/rancher': additional properties 'cluster' not allowed/,
    ],
  ];
  for (const [name, values, message] of refused) {
    it(`refuses ${name} before rendering anything`, async () => {
      const valuesFile = join(suite.workdir, `${uniqueName('refused')}.yaml`);
      await writeFile(valuesFile, stringify({ registries: [HOST], ...values }));
      const run = spawnSync(suite.helm, ['template', 't', CHART, '--values', valuesFile], {
        encoding: 'utf8',
      });
      assert.notEqual(run.status, 0, run.stdout);
      assert.equal(run.stdout, '', 'nothing rendered');
      assert.match(run.stderr, message);
    });
  }

  for (const mode of ['cronjob', 'deployment'] as const) {
    it(`${mode}: the rendered manifests and the kubeconfig Secret made as the README says pass kubectl apply --dry-run=server`, async () => {
      const namespace = uniqueName('fleet-dry');
      await suite.kube.createNamespace(namespace);
      const kubeconfig = join(suite.workdir, `${namespace}.kubeconfig`);
      await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\n');
      const secret = createKubeconfigSecret(namespace, 'rancher.yaml', kubeconfig, [
        '--dry-run=client',
        '-o',
        'yaml',
      ]);
      const objects = [
        parse(secret),
        ...(await render(namespace, { ...fleetValues, mode }, uniqueName('rel'))),
      ];
      const output = kubectl(
        suite.kube,
        ['apply', '--dry-run=server', '-f', '-'],
        objects.map((object) => `---\n${stringify(object)}`).join(''),
      );
      assert.equal(output.match(/ \(server dry run\)$/gm)?.length, objects.length, output);
    });
  }

  // The CronJob's container as the kubelet would start it: its args and env as rendered, its
  // volumes (the ConfigMap and the kubeconfig Secret, applied to and read back from the local
  // cluster) written where it mounts them. The downstream cluster is an API server of its own
  // behind the stand-in of Rancher's proxy; the token's user holds the shipped fleet roles.
  describe("the rendered CronJob's container, run against Rancher's proxy", () => {
    let downstream: KubeApiServer;
    let proxy: RancherProxy;

    before(async () => {
      downstream = await startKubeApiServer();
      await installRancherKinds(suite.kube);
    });
    after(async () => {
      await proxy?.stop();
      await downstream?.stop();
    });

    /** The shipped Rancher role's rules as Rancher makes them in one cluster: a ClusterRole bound to the user. */
    function grantShipped(server: KubeApiServer, file: string, userId: string): void {
      const { rules } = parse(readFileSync(join(DEPLOY_DIR, 'rancher2', 'fleet', file), 'utf8'));
      const name = `${file.replace('.yaml', '')}-${userId}`;
      kubectl(
        server,
        ['apply', '-f', '-'],
        stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRole',
              metadata: { name },
              rules,
            },
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRoleBinding',
              metadata: { name },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
              subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: userId }],
            },
          ],
        }),
      );
    }

    /** Writes the data of each ConfigMap and Secret volume the container mounts, read from the API server, under `root`; the local directory of each mount path. */
    async function materialiseMounts(
      namespace: string,
      pod: any,
      root: string,
    ): Promise<Map<string, string>> {
      const directories = new Map<string, string>();
      for (const mount of pod.containers[0].volumeMounts) {
        const volume = pod.volumes.find((candidate: any) => candidate.name === mount.name);
        const source = volume.configMap ?? volume.secret;
        if (source === undefined) continue;
        const kind = volume.configMap === undefined ? 'secret' : 'configmap';
        const object = JSON.parse(
          kubectl(suite.kube, [
            '-n',
            namespace,
            'get',
            kind,
            source.name ?? source.secretName,
            '-o',
            'json',
          ]),
        );
        const data: Record<string, string> =
          kind === 'secret'
            ? Object.fromEntries(
                Object.entries(object.data as Record<string, string>).map(([key, value]) => [
                  key,
                  Buffer.from(value, 'base64').toString('utf8'),
                ]),
              )
            : object.data;
        const items: Array<{ key: string; path: string }> =
          source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
        const directory = join(root, mount.name);
        await mkdir(directory, { recursive: true });
        for (const item of items) {
          assert.ok(
            item.key in data,
            `${kind} ${namespace}/${object.metadata.name} has key ${item.key}`,
          );
          await writeFile(join(directory, item.path), data[item.key] ?? '', { mode: 0o600 });
        }
        directories.set(mount.mountPath, directory);
      }
      return directories;
    }

    it('serves every namespace of the downstream cluster through the proxy with the mounted kubeconfig, writes nothing locally, exit 0', async () => {
      const run = uniqueName('run');
      const clusterId = uniqueName('c-m-chart');
      proxy = await startRancherProxy(suite.kube, {
        clusterIds: ['local'],
        downstream: { [clusterId]: downstream },
      });
      await createRancherCluster(suite.kube, {
        id: clusterId,
        displayName: 'Chart',
        labels: { 'ecr-refresh-test/run': run },
        ready: 'True',
      });
      await createNamespaces(downstream, ['shop', 'pay']);
      const user = { id: uniqueName('u') };
      grantShipped(suite.kube, 'global-role.yaml', user.id);
      grantShipped(downstream, 'cluster-role-template.yaml', user.id);

      // The Secret as the README makes it, in the release's namespace of the local cluster.
      const namespace = uniqueName('fleet-chart');
      await suite.kube.createNamespace(namespace);
      // Noted for the leak check: no output of the run may hold it.
      const token = proxy.issueToken(user);
      const kubeconfigFile = join(suite.workdir, `${namespace}.rancher.yaml`);
      await writeFile(
        kubeconfigFile,
        rancherKubeconfigText({
          clusterName: 'local',
          server: proxy.serverFor('local'),
          caPem: proxy.caPem,
          user: { token },
        }),
        { mode: 0o600 },
      );
      createKubeconfigSecret(namespace, 'kubeconfig', kubeconfigFile);

      const objects = await render(
        namespace,
        {
          namespaces: ['*'],
          // No controller-manager here: default has no default ServiceAccount.
          excludeNamespaces: ['kube-*', 'default'],
          rancher: {
            clusterSelector: `ecr-refresh-test/run=${run}`,
            kubeconfigSecret: 'rancher-kubeconfig',
          },
        },
        uniqueName('rel'),
      );
      kubectl(
        suite.kube,
        ['apply', '-n', namespace, '-f', '-'],
        objects.map((object) => `---\n${stringify(object)}`).join(''),
      );
      const pod = podOf(objects);
      const directories = await materialiseMounts(namespace, pod, join(suite.workdir, namespace));
      const args = pod.containers[0].args.map((arg: string) => {
        for (const [mountPath, directory] of directories)
          if (arg.includes(`=${mountPath}/`))
            return arg.replace(`=${mountPath}/`, `=${directory}/`);
        return arg;
      });
      assert.equal(
        args.filter((arg: string) => arg.startsWith('--kubeconfig=') || arg.startsWith('--config='))
          .length,
        2,
        args.join(' '),
      );

      const result = await runCli(
        [...args, '--endpoint-url', suite.moto.endpoint, '--output', 'json', '--force'],
        { ...envOf(pod), ...DUMMY_AWS_ENV, ECR_REFRESH_LOG_LEVEL: 'warn' },
      );

      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.deepEqual(targetsByAction(result.stdout), {
        created: [`${clusterId}/pay`, `${clusterId}/shop`],
      });
      assert.equal(JSON.parse(result.stdout).ecrCalls, 1);
      for (const target of ['shop', 'pay'])
        assert.equal(
          dockerConfigOf(await readSecret(downstream, target)).auths[HOST]?.password,
          MOTO_PASSWORD,
        );
      assert.deepEqual(
        proxy.forwarded.filter((request) => request.via !== 'proxy' || request.user !== user.id),
        [],
        'every request went through the proxy as the Rancher user',
      );
      assert.equal(
        await readSecret(suite.kube, namespace),
        undefined,
        'nothing written on the local cluster',
      );
    });
  });
});
