import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startRancherProxy,
  writeRancherKubeconfig,
  writeRancherTokenCommand,
  type KubeApiServer,
  type Moto,
  type RancherKubeconfigOptions,
  type RancherProxy,
  type RancherUser,
} from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli, type CliRun } from '../support/run-cli.ts';
import {
  HOST,
  SECRET,
  createNamespaces,
  pullSecretsOf,
  readSecret,
  servedWithin,
  startWatchService,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Rancher names the kubeconfig's cluster, user and main context after the cluster's display name.
const CLUSTER = 'c-test';
const CLUSTER_NAME = 'downstream';

/**
 * Kubeconfigs as Rancher writes them, used through a stand-in for Rancher's cluster proxy in
 * front of the real API server: the proxy checks Rancher tokens and impersonates the Rancher
 * user, so the API server's RBAC (roles in the user's namespaces only) decides what is allowed.
 */
describe("e2e: ecr-refresh k8s with Rancher's kubeconfigs (cluster proxy, authorized endpoint, exec user)", function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let proxy: RancherProxy;
  let workdir: string;
  let user: RancherUser;
  let namespaces: string[];

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    proxy = await startRancherProxy(kube, { clusterIds: ['local', CLUSTER] });
    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rancher-kubeconfig-'));
    user = { id: uniqueName('u'), groups: ['okta_group://platform'] };
    namespaces = [uniqueName('rancher-a'), uniqueName('rancher-b')];
    await createNamespaces(kube, namespaces);
    for (const namespace of namespaces) await grantNamespace(namespace, user.id);
  });
  beforeEach(() => proxy.clearRecords());
  after(async () => {
    await proxy?.stop();
    await rm(workdir, { recursive: true, force: true });
  });

  /** cluster-admin bound in one namespace only (`edit` is aggregated, and no controller fills it in here). */
  async function grantNamespace(namespace: string, userId: string): Promise<void> {
    const bound = await kube.request(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
      {
        metadata: { name: `${userId}-project-owner` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: userId }],
      },
    );
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
  }

  async function kubeconfig(options: Partial<RancherKubeconfigOptions> = {}): Promise<string> {
    return writeRancherKubeconfig(join(workdir, `${uniqueName('kubeconfig')}.yaml`), {
      clusterName: CLUSTER_NAME,
      server: proxy.serverFor(CLUSTER),
      caPem: proxy.caPem,
      user: { token: proxy.issueToken(user) },
      ...options,
    });
  }

  function k8s(
    path: string,
    args: readonly string[] = [],
    env: Record<string, string> = {},
  ): Promise<CliRun> {
    return runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        path,
        '-n',
        namespaces.join(','),
        '--force',
        '--output',
        'json',
        ...args,
      ],
      { ...DUMMY_AWS_ENV, ...env },
    );
  }

  function assertWritten(run: CliRun, context: string): void {
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { results: Array<{ target: string; action: string }> };
    assert.deepEqual(
      report.results.map((result) => result.target).sort(),
      namespaces.map((namespace) => `${context}/${namespace}`).sort(),
    );
  }

  /** Every request reached the API server through `/k8s/clusters/<CLUSTER>` as the Rancher user. */
  function assertAllThroughProxy(): void {
    assert.ok(proxy.forwarded.length >= 2 * namespaces.length, JSON.stringify(proxy.forwarded));
    assert.deepEqual(
      proxy.forwarded.filter(
        (request) =>
          request.clusterId !== CLUSTER || request.via !== 'proxy' || request.user !== user.id,
      ),
      [],
    );
    assert.deepEqual(
      proxy.forwarded.filter((request) => !request.path.startsWith('/api/')),
      [],
    );
    assert.deepEqual(proxy.refused, []);
  }

  it('writes the Secrets through the cluster proxy with a kubeconfig-u- token and the folded CA, keeping the prefix on every request', async () => {
    const run = await k8s(await kubeconfig());
    assertWritten(run, CLUSTER_NAME);
    assertAllThroughProxy();
    for (const namespace of namespaces) {
      assert.ok(await readSecret(kube, namespace));
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
    }
  });

  it('acts as the Rancher user: a namespace it has no role in is refused (403), the others are written, exit 1', async () => {
    const foreign = uniqueName('rancher-foreign');
    await createNamespaces(kube, [foreign]);
    const run = await runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        await kubeconfig(),
        '-n',
        [...namespaces, foreign].join(','),
        '--force',
        '--output',
        'json',
      ],
      DUMMY_AWS_ENV,
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const byAction = targetsByAction(run.stdout);
    assert.deepEqual(byAction.failed, [`${CLUSTER_NAME}/${foreign}`]);
    assert.match(run.stdout, /HTTP 403 Forbidden/);
    assert.equal(await readSecret(kube, foreign), undefined);
  });

  it('accepts the older kubeconfig-user- token, and a cluster-scoped token at its own cluster only', async () => {
    const legacy: RancherUser = { id: uniqueName('user') };
    for (const namespace of namespaces) await grantNamespace(namespace, legacy.id);
    const legacyToken = proxy.issueToken(legacy);
    assert.match(legacyToken, /^kubeconfig-user-/);
    assertWritten(await k8s(await kubeconfig({ user: { token: legacyToken } })), CLUSTER_NAME);
    assert.deepEqual([...new Set(proxy.forwarded.map((request) => request.user))], [legacy.id]);

    const scoped = proxy.issueToken(user, { clusterId: CLUSTER });
    assert.match(scoped, new RegExp(`^kubeconfig-${user.id}\\.${CLUSTER}:`));
    assertWritten(await k8s(await kubeconfig({ user: { token: scoped } })), CLUSTER_NAME);
    proxy.clearRecords();
    const elsewhere = await k8s(
      await kubeconfig({ server: proxy.serverFor('local'), user: { token: scoped } }),
    );
    assert.equal(elsewhere.status, 1, elsewhere.stdout + elsewhere.stderr);
    assert.equal(proxy.forwarded.length, 0);
    assert.deepEqual([...new Set(proxy.refused.map((request) => request.status))], [401]);
  });

  it('keeps the prefix on the watches of --watch, and restores a deleted Secret through them', async () => {
    const service = await startWatchService(moto, [
      '--kubeconfig',
      await kubeconfig(),
      '-n',
      namespaces.join(','),
    ]);
    try {
      const deleted = await kube.request(
        'DELETE',
        `/api/v1/namespaces/${namespaces[0]}/secrets/${SECRET}`,
      );
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      await servedWithin(kube, namespaces[0] as string);
      assert.ok(
        proxy.forwarded.some((request) => /[?&]watch=(1|true)/.test(request.path)),
        JSON.stringify(proxy.forwarded),
      );
      assertAllThroughProxy();
    } finally {
      await service.stop();
    }
  });

  it('reports a rejected token (401) as a failure of the context, without printing the token, exit 1', async () => {
    const token = proxy.issueToken(user);
    proxy.revokeToken(token);
    const run = await k8s(await kubeconfig({ user: { token } }));
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.equal(proxy.forwarded.length, 0);
    assert.ok(
      proxy.refused.length > 0 && proxy.refused.every((request) => request.status === 401),
      JSON.stringify(proxy.refused),
    );
    const report = JSON.parse(run.stdout) as {
      results: Array<{ target: string; action: string; error?: { message?: string } }>;
    };
    for (const result of report.results) {
      assert.equal(result.action, 'failed');
      assert.match(result.target, new RegExp(`^${CLUSTER_NAME}/`));
      assert.match(
        result.error?.message ?? '',
        new RegExp(
          `HTTP 401: ${escaped(proxy.serverFor(CLUSTER))} did not accept the credentials of kubeconfig user "${CLUSTER_NAME}"`,
        ),
      );
    }
    const secret = token.slice(token.indexOf(':') + 1);
    for (const text of [token, secret])
      assert.ok(!(run.stdout + run.stderr).includes(text), 'the token was printed');
  });

  describe('without certificate-authority-data (a publicly trusted CA)', () => {
    it("trusts the CA given in NODE_EXTRA_CA_CERTS, as Node's default store does", async () => {
      const run = await k8s(await kubeconfig({ caPem: undefined }), [], {
        NODE_EXTRA_CA_CERTS: proxy.caPath,
      });
      assertWritten(run, CLUSTER_NAME);
      assertAllThroughProxy();
    });

    it('fails with a certificate error naming the server when the CA is not trusted, exit 1, no stack trace', async () => {
      const run = await k8s(await kubeconfig({ caPem: undefined }));
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.equal(proxy.forwarded.length, 0);
      const report = JSON.parse(run.stdout) as {
        results: Array<{ action: string; error?: { message?: string } }>;
      };
      for (const result of report.results) {
        assert.equal(result.action, 'failed');
        assert.match(
          result.error?.message ?? '',
          new RegExp(
            `TLS certificate of ${escaped(proxy.serverFor(CLUSTER))} is not trusted.*NODE_EXTRA_CA_CERTS`,
          ),
        );
      }
      assert.doesNotMatch(run.stderr, /^\s+at /m);
    });
  });

  describe('authorized cluster endpoint contexts', () => {
    const fqdn = `${CLUSTER_NAME}-fqdn`;
    const withEndpoint = (options: Partial<RancherKubeconfigOptions> = {}) =>
      kubeconfig({
        authorizedEndpoints: [
          { suffix: 'fqdn', server: proxy.endpointFor(CLUSTER), caPem: proxy.caPem },
        ],
        ...options,
      });

    it('--context <cluster>-fqdn goes straight to the cluster endpoint', async () => {
      assertWritten(await k8s(await withEndpoint(), ['--context', fqdn]), fqdn);
      assert.ok(proxy.forwarded.length > 0);
      assert.deepEqual(
        proxy.forwarded.filter((request) => request.via !== 'endpoint' || request.user !== user.id),
        [],
      );
    });

    it('a current-context of <cluster>-fqdn is served as the default, with no CA data for the endpoint', async () => {
      const path = await kubeconfig({
        authorizedEndpoints: [{ suffix: 'fqdn', server: proxy.endpointFor(CLUSTER) }],
        currentContext: fqdn,
      });
      assertWritten(await k8s(path, [], { NODE_EXTRA_CA_CERTS: proxy.caPath }), fqdn);
      assert.deepEqual(
        proxy.forwarded.filter((request) => request.via !== 'endpoint'),
        [],
      );
    });

    it('--all-contexts serves the proxy context and the endpoint context, each reported', async () => {
      const run = await k8s(await withEndpoint(), ['--all-contexts']);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const targets = Object.values(targetsByAction(run.stdout)).flat().sort();
      assert.deepEqual(
        targets,
        [CLUSTER_NAME, fqdn]
          .flatMap((context) => namespaces.map((namespace) => `${context}/${namespace}`))
          .sort(),
      );
      assert.deepEqual([...new Set(proxy.forwarded.map((request) => request.via))].sort(), [
        'endpoint',
        'proxy',
      ]);
    });
  });

  describe('an exec user (kubeconfig-generate-token=false)', () => {
    const execUser = () => ({
      exec: { server: new URL(proxy.url).host, user: user.id, clusterId: CLUSTER },
    });

    it('whose command is not installed: exit 64 before any request, naming the context, the user and the command', async () => {
      const run = await k8s(await kubeconfig({ user: execUser() }), [], { PATH: '/usr/bin:/bin' });
      assert.equal(run.status, 64, run.stdout + run.stderr);
      assert.equal(proxy.connections, 0);
      assert.match(
        run.stderr,
        new RegExp(`context "${CLUSTER_NAME}".*user "${CLUSTER_NAME}".*"rancher".*not found`),
      );
      assert.match(run.stderr, /kubeconfig-generate-token/);
    });

    it('whose command is on PATH: its ExecCredential token is used', async () => {
      const bin = await writeRancherTokenCommand(
        join(workdir, uniqueName('bin')),
        proxy.issueToken(user),
      );
      const run = await k8s(await kubeconfig({ user: execUser() }), [], {
        PATH: `${bin}:/usr/bin:/bin`,
      });
      assertWritten(run, CLUSTER_NAME);
      assertAllThroughProxy();
    });
  });
});
