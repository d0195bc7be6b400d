import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactSecrets } from '@ecr-refresh/core';
import { createAuthentication } from './authentication.ts';
import type { KubeCluster, KubeExec, KubeUser } from './kubeconfig.ts';

const CLUSTER: KubeCluster = { name: 'c', server: 'https://127.0.0.1:6443' };
const CA = readFileSync(new URL('../__fixtures__/rancher-ca.pem', import.meta.url));

describe('k8s/transport/authentication', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-auth-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /**
   * A credential plugin that appends one line to `runs` per run (with what KUBERNETES_EXEC_INFO
   * and stdin said) and prints an ExecCredential of `apiVersion` with the token in `token-file`.
   */
  async function plugin(
    apiVersion: string,
    expires?: string,
  ): Promise<{
    exec: KubeExec;
    runs(): Promise<string[]>;
    setToken(token: string): Promise<void>;
  }> {
    const command = join(dir, 'plugin');
    const status = `"token":"'"$(cat ${dir}/token-file)"'"${expires === undefined ? '' : `,"expirationTimestamp":"${expires}"`}`;
    await writeFile(
      command,
      [
        '#!/bin/sh',
        `stdin=$(cat)`,
        `echo "$KUBERNETES_EXEC_INFO stdin=[$stdin] $MODE" >> ${dir}/runs`,
        `echo '{"apiVersion":"${apiVersion}","kind":"ExecCredential","status":{${status}}}'`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await writeFile(join(dir, 'token-file'), 'first-plugin-token');
    return {
      exec: { apiVersion, command, args: [], env: [{ name: 'MODE', value: 'from-kubeconfig' }] },
      runs: async () =>
        (await readFile(join(dir, 'runs'), 'utf8').catch(() => ''))
          .split('\n')
          .filter((line) => line !== ''),
      setToken: (token) => writeFile(join(dir, 'token-file'), token),
    };
  }

  it('reuses the token file within a minute, and reads it again once the minute has passed (a rotated ServiceAccount token)', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'first-token-value\n');
    let now = 0;
    const auth = createAuthentication(CLUSTER, { name: 'u', tokenFile }, {}, () => now);
    assert.equal((await auth.current()).authorization, 'Bearer first-token-value');
    await writeFile(tokenFile, 'second-token-value');
    now = 59_000;
    assert.equal((await auth.current()).authorization, 'Bearer first-token-value');
    now = 61_000;
    assert.equal((await auth.current()).authorization, 'Bearer second-token-value');
    assert.ok(!redactSecrets('x second-token-value x').includes('second-token-value'));
  });

  it('loads once for many requests arriving together', async () => {
    const { exec, runs } = await plugin('client.authentication.k8s.io/v1');
    const auth = createAuthentication(CLUSTER, { name: 'u', exec }, {});
    const results = await Promise.all(Array.from({ length: 8 }, () => auth.current()));
    assert.equal(new Set(results).size, 1);
    assert.equal((await runs()).length, 1);
  });

  for (const apiVersion of [
    'client.authentication.k8s.io/v1',
    'client.authentication.k8s.io/v1beta1',
  ]) {
    it(`runs an exec plugin (${apiVersion}) never interactively, with its env, and keeps its token until it expires`, async () => {
      const expires = new Date(Date.UTC(2030, 0, 1, 12)).toISOString();
      const { exec, runs, setToken } = await plugin(apiVersion, expires);
      let now = Date.parse(expires) - 3_600_000;
      const auth = createAuthentication(
        CLUSTER,
        { name: 'u', exec },
        { PATH: process.env.PATH },
        () => now,
      );
      assert.equal((await auth.current()).authorization, 'Bearer first-plugin-token');
      await setToken('second-plugin-token');
      now += 1_800_000;
      assert.equal(
        (await auth.current()).authorization,
        'Bearer first-plugin-token',
        'still valid: the plugin is not run again',
      );
      now = Date.parse(expires);
      assert.equal((await auth.current()).authorization, 'Bearer second-plugin-token');
      const lines = await runs();
      assert.equal(lines.length, 2);
      assert.deepEqual(JSON.parse(lines[0]?.split(' stdin=')[0] ?? ''), {
        apiVersion,
        kind: 'ExecCredential',
        spec: { interactive: false },
      });
      assert.match(lines[0] ?? '', / stdin=\[\] from-kubeconfig$/);
      assert.ok(!redactSecrets('second-plugin-token').includes('second-plugin-token'));
    });
  }

  it('keeps a token without expiry until the server refuses it, then runs the plugin again', async () => {
    const { exec, runs, setToken } = await plugin('client.authentication.k8s.io/v1');
    let now = 0;
    const auth = createAuthentication(CLUSTER, { name: 'u', exec }, {}, () => now);
    await auth.current();
    await setToken('second-plugin-token');
    now = 3_600_000;
    assert.equal((await auth.current()).authorization, 'Bearer first-plugin-token');
    auth.refused();
    assert.equal((await auth.current()).authorization, 'Bearer second-plugin-token');
    assert.equal((await runs()).length, 2);
  });

  it('refuses what a plugin prints when it is no ExecCredential of the version asked for, without repeating it', async () => {
    const { exec } = await plugin('client.authentication.k8s.io/v1beta1');
    const asked = { ...exec, apiVersion: 'client.authentication.k8s.io/v1' };
    await assert.rejects(
      createAuthentication(CLUSTER, { name: 'u', exec: asked }, {}).current(),
      /answered client\.authentication\.k8s\.io\/v1beta1, not the client\.authentication\.k8s\.io\/v1 it was asked for/,
    );
    const silent = join(dir, 'silent');
    await writeFile(
      silent,
      '#!/bin/sh\necho "{\\"kind\\":\\"ExecCredential\\",\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"status\\":{}}"\n',
      { mode: 0o755 },
    );
    await assert.rejects(
      createAuthentication(
        CLUSTER,
        { name: 'u', exec: { ...asked, command: silent } },
        {},
      ).current(),
      /printed no valid ExecCredential \(status: holds neither a token nor a client certificate and key\)/,
    );
    const failing = join(dir, 'failing');
    await writeFile(
      failing,
      '#!/bin/sh\necho "secret-looking output" \necho "error: not logged in" >&2\nexit 3\n',
      { mode: 0o755 },
    );
    await assert.rejects(
      createAuthentication(
        CLUSTER,
        { name: 'u', exec: { ...asked, command: failing } },
        {},
      ).current(),
      (error: Error) => {
        assert.equal(
          error.message,
          `credential plugin "${failing}" exited with 3: error: not logged in`,
        );
        return true;
      },
    );
  });

  it('uses an oidc id-token as a bearer token, basic auth otherwise, and a client certificate from data or files', async () => {
    const oidc: KubeUser = {
      name: 'u',
      authProvider: {
        name: 'oidc',
        config: { 'id-token': 'an-oidc-id-token', 'idp-issuer-url': 'https://issuer.example' },
      },
    };
    assert.equal(
      (await createAuthentication(CLUSTER, oidc, {}).current()).authorization,
      'Bearer an-oidc-id-token',
    );
    assert.equal(
      (
        await createAuthentication(
          CLUSTER,
          { name: 'u', username: 'admin', password: 'pw' },
          {},
        ).current()
      ).authorization,
      `Basic ${Buffer.from('admin:pw').toString('base64')}`,
    );
    await writeFile(join(dir, 'client.key'), 'KEY');
    const fromBoth = await createAuthentication(
      {
        ...CLUSTER,
        caData: CA.toString('base64'),
        tlsServerName: 'kubernetes.default',
        skipTLSVerify: false,
      },
      {
        name: 'u',
        certData: Buffer.from('CERT').toString('base64'),
        keyFile: join(dir, 'client.key'),
      },
      {},
    ).current();
    assert.equal(fromBoth.authorization, undefined);
    assert.deepEqual(
      {
        ...fromBoth.tls,
        ca: fromBoth.tls.ca?.toString(),
        cert: fromBoth.tls.cert?.toString(),
        key: fromBoth.tls.key?.toString(),
      },
      {
        ca: CA.toString(),
        cert: 'CERT',
        key: 'KEY',
        rejectUnauthorized: true,
        servername: 'kubernetes.default',
      },
    );
  });
});
