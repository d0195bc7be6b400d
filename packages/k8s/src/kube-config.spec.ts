import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, redactSecrets } from '@ecr-refresh/core';
import {
  rancherKubeconfigText,
  type RancherKubeconfigOptions,
} from '../../../test/peers/rancher-kubeconfig.ts';
import { connectClusters } from './kube-config.ts';
import { parseKubeconfig } from './transport/kubeconfig.ts';

function kubeconfig(
  contexts: Array<{ name: string; namespace?: string; cluster?: string }>,
  current?: string,
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
    users: [{ name: 'u', user: { token: 'a-token-for-tests-only' } }],
    contexts: contexts.map(({ name, namespace, cluster }) => ({
      name,
      context: {
        cluster: cluster ?? 'c',
        user: 'u',
        ...(namespace === undefined ? {} : { namespace }),
      },
    })),
    ...(current === undefined ? {} : { 'current-context': current }),
  });
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('no ConfigError');
}

describe('k8s/kube-config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-kubeconfig-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('serves the current context with its namespace, or default when it names none', async () => {
    const path = join(dir, 'config');
    await writeFile(
      path,
      kubeconfig([{ name: 'prod', namespace: 'team-a' }, { name: 'dev' }], 'prod'),
    );
    assert.deepEqual(
      connectClusters({ kubeconfig: path, env: {} }).map(({ context, namespace }) => [
        context,
        namespace,
      ]),
      [['prod', 'team-a']],
    );
    assert.deepEqual(
      connectClusters({ kubeconfig: path, contexts: ['dev'], env: {} }).map(
        ({ context, namespace }) => [context, namespace],
      ),
      [['dev', 'default']],
    );
    assert.deepEqual(
      connectClusters({ kubeconfig: path, contexts: 'all', env: {} }).map(({ context }) => context),
      ['prod', 'dev'],
    );
  });

  it('merges every file of KUBECONFIG, as kubectl does', async () => {
    await writeFile(join(dir, 'one'), kubeconfig([{ name: 'one' }], 'one'));
    await writeFile(join(dir, 'two'), kubeconfig([{ name: 'two' }]));
    const env = { KUBECONFIG: `${join(dir, 'one')}:${join(dir, 'two')}` };
    assert.deepEqual(
      connectClusters({ contexts: 'all', env }).map(({ context }) => context),
      ['one', 'two'],
    );
  });

  it('names an unknown context and the known ones', async () => {
    const path = join(dir, 'config');
    await writeFile(path, kubeconfig([{ name: 'prod' }], 'prod'));
    assert.deepEqual(
      problemsOf(() =>
        connectClusters({ kubeconfig: path, contexts: ['staging', 'prod', 'qa'], env: {} }),
      ),
      [
        `k8s.contexts: no context "staging" in kubeconfig "${path}" (known: prod)`,
        `k8s.contexts: no context "qa" in kubeconfig "${path}" (known: prod)`,
      ],
    );
  });

  it('names an unreadable kubeconfig, a missing current-context, an invalid namespace and a missing cluster', async () => {
    assert.match(
      problemsOf(() => connectClusters({ kubeconfig: join(dir, 'missing'), env: {} }))[0] ?? '',
      /cannot read ".*missing": ENOENT/,
    );
    const path = join(dir, 'config');
    await writeFile(path, kubeconfig([{ name: 'bad', namespace: 'Team_A', cluster: 'nowhere' }]));
    assert.match(
      problemsOf(() => connectClusters({ kubeconfig: path, env: {} }))[0] ?? '',
      /has no current-context; name one with --context \(known: bad\)/,
    );
    assert.deepEqual(
      problemsOf(() => connectClusters({ kubeconfig: path, contexts: ['bad'], env: {} })),
      [
        'k8s.contexts: context "bad" names an invalid namespace "Team_A"',
        'k8s.contexts: context "bad" names a cluster the kubeconfig does not define',
      ],
    );
  });

  it('refuses a server that is not a URL at all (a port that is not a number), before any request', async () => {
    const path = join(dir, 'bad-port');
    await writeFile(
      path,
      kubeconfig([{ name: 'prod' }], 'prod').replace(
        'https://127.0.0.1:6443',
        'https://127.0.0.1:notaport',
      ),
    );
    assert.deepEqual(
      problemsOf(() => connectClusters({ kubeconfig: path, env: {} })),
      [
        'k8s.contexts: context "prod": server "https://127.0.0.1:notaport" is not an https:// URL (for example https://203.0.113.10:6443)',
      ],
    );
  });

  it('says every way to configure access when there is none', () => {
    assert.match(
      problemsOf(() => connectClusters({ env: { HOME: dir } }))[0] ?? '',
      /pass --kubeconfig, set KUBECONFIG, create ~\/\.kube\/config, or run in a pod/,
    );
  });

  it("in a pod, uses the ServiceAccount and the pod's namespace, reported as in-cluster", async () => {
    const accountDir = join(dir, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    await mkdir(accountDir, { recursive: true });
    await Promise.all([
      writeFile(join(accountDir, 'token'), 'pod-token-value'),
      writeFile(join(accountDir, 'namespace'), 'payments'),
      writeFile(join(accountDir, 'ca.crt'), ''),
    ]);
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
    };
    // The client reads these two from process.env itself.
    process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const [connection] = connectClusters({
        inClusterRoot: dir,
        env: { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      });
      assert.deepEqual([connection?.context, connection?.namespace], ['in-cluster', 'payments']);
    } finally {
      for (const [name, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  describe('what a user and a cluster may say', () => {
    async function withUser(
      user: Record<string, unknown>,
      cluster: Record<string, unknown> = {},
    ): Promise<string> {
      const path = join(dir, 'config');
      const config = JSON.parse(kubeconfig([{ name: 'prod' }], 'prod'));
      config.users[0].user = user;
      Object.assign(config.clusters[0].cluster, cluster);
      await writeFile(path, JSON.stringify(config));
      return path;
    }

    it('refuses an auth-provider other than oidc with an id-token up front, naming the user and the way out', async () => {
      for (const name of ['gcp', 'azure']) {
        const path = await withUser({ 'auth-provider': { name, config: { 'access-token': 'x' } } });
        assert.deepEqual(
          problemsOf(() => connectClusters({ kubeconfig: path, env: {} })),
          [
            `k8s.contexts: context "prod": user "u" uses the auth-provider "${name}", which ecr-refresh does not support (kubectl removed its auth-providers too): ` +
              'use an exec credential plugin instead (kubelogin, gke-gcloud-auth-plugin, aws eks get-token)',
          ],
        );
      }
      const noIdToken = await withUser({
        'auth-provider': { name: 'oidc', config: { 'refresh-token': 'r' } },
      });
      assert.match(
        problemsOf(() => connectClusters({ kubeconfig: noIdToken, env: {} }))[0] ?? '',
        /user "u" uses the oidc auth-provider without an id-token, which ecr-refresh does not support/,
      );
      const withIdToken = await withUser({
        'auth-provider': { name: 'oidc', config: { 'id-token': 'an-oidc-id-token-for-tests' } },
      });
      assert.equal(connectClusters({ kubeconfig: withIdToken, env: {} }).length, 1);
      assert.ok(
        !redactSecrets('an-oidc-id-token-for-tests').includes('an-oidc-id-token-for-tests'),
      );
    });

    it('refuses an exec plugin of a version it does not speak, and a SOCKS proxy-url', async () => {
      const old = await withUser(
        { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'sh' } },
        { 'proxy-url': 'socks5://127.0.0.1:1080' },
      );
      assert.deepEqual(
        problemsOf(() => connectClusters({ kubeconfig: old, env: { PATH: '/bin:/usr/bin' } })),
        [
          'k8s.contexts: context "prod": the proxy-url of cluster "c" is not an http:// or https:// URL (SOCKS proxies are not supported)',
          'k8s.contexts: context "prod": user "u" has an exec credential plugin of apiVersion "client.authentication.k8s.io/v1alpha1"; ' +
            'supported: client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1',
        ],
      );
    });

    it('names every field of a kubeconfig that has the wrong shape, and none of its values', async () => {
      const path = join(dir, 'config');
      await writeFile(
        path,
        'clusters:\n- name: c\n  cluster: {server: 6443}\nusers:\n- user: {token: [a-secret-in-a-list]}\ncontexts: []\n',
      );
      const [problem] = problemsOf(() => connectClusters({ kubeconfig: path, env: {} }));
      assert.match(
        problem ?? '',
        /^k8s\.kubeconfig: cannot read ".*config": clusters\.0\.cluster\.server: .*; users\.0\.name: .*; users\.0\.user\.token: /,
      );
      assert.ok(!problem?.includes('a-secret-in-a-list'));
    });

    it('reads file paths relative to the kubeconfig, as kubectl does', () => {
      const parsed = parseKubeconfig(
        'clusters: [{name: c, cluster: {server: "https://h", certificate-authority: ca.crt}}]\nusers: [{name: u, user: {client-certificate: ../u.crt, client-key: /abs/u.key, tokenFile: t}}]\n',
        '/etc/kube/config',
      );
      assert.equal(parsed.clusters[0]?.caFile, '/etc/kube/ca.crt');
      assert.deepEqual(
        [parsed.users[0]?.certFile, parsed.users[0]?.keyFile, parsed.users[0]?.tokenFile],
        ['/etc/u.crt', '/abs/u.key', '/etc/kube/t'],
      );
    });
  });

  describe("Rancher's kubeconfigs", () => {
    const CA = readFileSync(new URL('./__fixtures__/rancher-ca.pem', import.meta.url), 'utf8');
    const SECRET = 'bcdfghjklmnpqrstvwxz2456789bcdfghjklmnpqrstvwxz245678';
    const TOKEN = `kubeconfig-u-abcde:${SECRET}`;
    const PROXY = 'https://rancher.example.test/k8s/clusters/c-m-abc12';

    async function rancherKubeconfig(
      options: Partial<RancherKubeconfigOptions> = {},
      edit: (text: string) => string = (text) => text,
    ): Promise<string> {
      const path = join(dir, 'rancher.yaml');
      await writeFile(
        path,
        edit(
          rancherKubeconfigText({
            clusterName: 'downstream',
            server: PROXY,
            caPem: CA,
            user: { token: TOKEN },
            ...options,
          }),
        ),
      );
      return path;
    }

    it('reads the CA data that Rancher folds over several lines of a quoted scalar as one base64 value', async () => {
      const path = await rancherKubeconfig();
      const text = readFileSync(path, 'utf8');
      assert.ok(text.includes('\\\n      '), 'the fixture is folded as Rancher folds it');
      const downstream = parseKubeconfig(text, path).clusters.find(
        (cluster) => cluster.name === 'downstream',
      );
      assert.equal(downstream?.caData, Buffer.from(CA).toString('base64'));
      assert.equal(downstream?.server, PROXY);
      assert.deepEqual(
        connectClusters({ kubeconfig: path, env: {} }).map(({ context }) => context),
        ['downstream'],
      );
    });

    it('serves the authorized-endpoint contexts beside the proxy one, with or without CA data', async () => {
      const path = await rancherKubeconfig({
        authorizedEndpoints: [
          { suffix: 'fqdn', server: 'https://downstream.example.test' },
          { suffix: 'cp-1', server: 'https://203.0.113.10:6443', caPem: CA },
        ],
        currentContext: 'downstream-fqdn',
      });
      assert.deepEqual(
        connectClusters({ kubeconfig: path, env: {} }).map(({ context }) => context),
        ['downstream-fqdn'],
      );
      assert.deepEqual(
        connectClusters({ kubeconfig: path, contexts: 'all', env: {} }).map(
          ({ context }) => context,
        ),
        ['downstream', 'downstream-fqdn', 'downstream-cp-1'],
      );
    });

    it('accepts a kubeconfig without certificate-authority-data (a publicly trusted CA)', async () => {
      const path = await rancherKubeconfig({ caPem: undefined });
      assert.ok(!readFileSync(path, 'utf8').includes('certificate-authority-data'));
      assert.equal(connectClusters({ kubeconfig: path, env: {} }).length, 1);
    });

    it('refuses CA data that is not base64 of a certificate, naming the context and the cluster', async () => {
      // A plain scalar keeps the backslashes: what a line-based edit of Rancher's file leaves.
      const unquoted = await rancherKubeconfig({}, (text) => text.replace(/"(LS0t[^"]*)"/, '$1'));
      assert.match(
        problemsOf(() => connectClusters({ kubeconfig: unquoted, env: {} }))[0] ?? '',
        /^k8s\.contexts: context "downstream": certificate-authority-data of cluster "downstream" is not base64 \("\\" at character 50\)$/,
      );
      const escaped = await rancherKubeconfig({}, (text) => text.replace('"LS0t', '"LS0t&#43;'));
      assert.match(
        problemsOf(() => connectClusters({ kubeconfig: escaped, env: {} }))[0] ?? '',
        /contains "&#43;" \(an HTML-escaped "\+"\); replace each with "\+"/,
      );
      const notCertificate = await rancherKubeconfig({ caPem: 'cacerts setting: (empty)' });
      assert.match(
        problemsOf(() => connectClusters({ kubeconfig: notCertificate, env: {} }))[0] ?? '',
        /is base64 but holds no PEM certificate/,
      );
      const broken = await rancherKubeconfig({
        caPem: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
      });
      assert.match(
        problemsOf(() => connectClusters({ kubeconfig: broken, env: {} }))[0] ?? '',
        /holds a PEM block that is not a valid certificate/,
      );
    });

    it("registers the token and its secret part (after the token's name) for redaction", async () => {
      connectClusters({ kubeconfig: await rancherKubeconfig(), env: {} });
      const redacted = redactSecrets(
        `header Bearer ${TOKEN}; secret ${SECRET}; url ${encodeURIComponent(TOKEN)}`,
      );
      for (const form of [TOKEN, SECRET, encodeURIComponent(TOKEN)])
        assert.ok(!redacted.includes(form), redacted);
    });

    describe('an exec user (kubeconfig-generate-token=false)', () => {
      const execUser = (command?: string) => ({
        exec: {
          server: 'rancher.example.test',
          user: 'u-abcde',
          clusterId: 'c-m-abc12',
          ...(command === undefined ? {} : { command }),
        },
      });

      async function installRancher(directory: string): Promise<void> {
        await mkdir(directory, { recursive: true });
        await writeFile(join(directory, 'rancher'), '#!/bin/sh\n', { mode: 0o755 });
      }

      it('is refused before any request when its command is not on PATH, naming the context, the user, the command and the way out', async () => {
        const path = await rancherKubeconfig({ user: execUser() });
        assert.deepEqual(
          problemsOf(() =>
            connectClusters({ kubeconfig: path, env: { PATH: join(dir, 'empty') } }),
          ),
          [
            'k8s.contexts: context "downstream": user "downstream" gets its credentials from the command "rancher", which is not found on PATH: ' +
              'install it, or use a kubeconfig with a token (in Rancher: turn on the kubeconfig-generate-token setting, or create an API key, and download the kubeconfig again)',
          ],
        );
      });

      it('is accepted when its command is on PATH, or on the PATH its own env sets', async () => {
        await installRancher(join(dir, 'bin'));
        const path = await rancherKubeconfig({ user: execUser() });
        assert.equal(
          connectClusters({ kubeconfig: path, env: { PATH: `/nonexistent:${join(dir, 'bin')}` } })
            .length,
          1,
        );
        const withEnv = await rancherKubeconfig({ user: execUser() }, (text) =>
          text.replace(
            '      command: rancher',
            `      command: rancher\n      env:\n        - name: PATH\n          value: "${join(dir, 'bin')}"`,
          ),
        );
        assert.equal(
          connectClusters({ kubeconfig: withEnv, env: { PATH: '/nonexistent' } }).length,
          1,
        );
      });

      it('given as a path, must be an executable file there', async () => {
        await installRancher(join(dir, 'bin'));
        assert.equal(
          connectClusters({
            kubeconfig: await rancherKubeconfig({ user: execUser(join(dir, 'bin', 'rancher')) }),
            env: {},
          }).length,
          1,
        );
        await writeFile(join(dir, 'bin', 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
        for (const command of [
          join(dir, 'missing', 'rancher'),
          join(dir, 'bin', 'not-executable'),
          join(dir, 'bin'),
        ]) {
          const path = await rancherKubeconfig({ user: execUser(command) });
          assert.match(
            problemsOf(() => connectClusters({ kubeconfig: path, env: {} }))[0] ?? '',
            new RegExp(`the command "${command}", which is not found: install it`),
          );
        }
      });
    });
  });
});
