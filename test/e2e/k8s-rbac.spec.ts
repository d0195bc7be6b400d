import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import {
  createTokenSource,
  parseRegistry,
  refresh as refreshWith,
  USER_AGENT,
} from '@ecr-refresh/core';
import { createKubernetesSink } from '@ecr-refresh/k8s';
import type { AuditEvent, KubeApiServer, Moto } from '../peers/index.ts';
import { DUMMY_AWS_ENV, runCli, startCli } from '../support/run-cli.ts';
import { waitUntil } from '../peers/wait-until.ts';
import {
  DEPLOY_DIR,
  FAILURE_ONLY_GRANTS,
  HOST,
  MOTO_PASSWORD,
  SECRET,
  canI,
  createNamespaces,
  kubectl,
  kustomize,
  pullSecretsOf,
  readSecret,
  referencedWithin,
  servedWithin,
  startWatchService,
  stripPullSecret,
  targetsByAction,
  uniqueName,
  useKubeAndMoto,
} from './k8s-helpers.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** `resource verb` pairs a set of RBAC rules grants (names aside). */
function grantedPairs(rules: readonly Rule[]): string[] {
  return [
    ...new Set(
      rules.flatMap((rule) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${resource} ${verb}`)),
      ),
    ),
  ].sort();
}

/** `resource verb` pairs a user's requests used, and any request refused with 403. */
function usedPairs(events: readonly AuditEvent[]): { used: string[]; forbidden: string[] } {
  const complete = events.filter(
    (event) => event.stage === 'ResponseComplete' && event.objectRef?.resource !== undefined,
  );
  return {
    used: [
      ...new Set(complete.map((event) => `${event.objectRef?.resource} ${event.verb}`)),
    ].sort(),
    forbidden: complete
      .filter((event) => event.responseStatus?.code === 403)
      .map((event) => `${event.verb} ${event.requestURI}`),
  };
}

/** A request as `verb path[?selectors]`: its page size and field manager left out. */
function shown(event: AuditEvent): string {
  const url = new URL(event.requestURI, 'https://api.invalid');
  for (const parameter of ['limit', 'fieldManager']) url.searchParams.delete(parameter);
  const query = decodeURIComponent(url.searchParams.toString());
  return `${event.verb} ${url.pathname}${query === '' ? '' : `?${query}`}`;
}

/** The requests a user completed, oldest first, from the `from`-th on; `refused`: those answered 403. */
async function requestsOf(
  kube: KubeApiServer,
  user: string,
  from = 0,
  refused = false,
): Promise<string[]> {
  const complete = (await kube.auditEvents(user))
    .filter((event) => event.stage === 'ResponseComplete')
    .slice(from);
  return complete.filter((event) => !refused || event.responseStatus?.code === 403).map(shown);
}

/** How a run lists namespaces: without those that opted out (labelled ecr-refresh/exclude=true). */
const NAMESPACES_LIST = 'list /api/v1/namespaces?labelSelector=ecr-refresh/exclude!=true';

describe('e2e: the shipped RBAC, used through a real ServiceAccount token', function () {
  this.timeout(120_000);
  let kube: KubeApiServer;
  let moto: Moto;
  let workdir: string;

  before(async () => {
    ({ kube, moto } = await useKubeAndMoto());
    workdir = await mkdtemp(join(tmpdir(), 'ecr-refresh-rbac-'));
  });
  after(async () => rm(workdir, { recursive: true, force: true }));

  /**
   * Renders an install (kustomize dir, optionally with components), renames what is cluster-wide
   * so suites never collide, applies its ServiceAccount and RBAC as admin, and returns the rules
   * and a kubeconfig logging in with the ServiceAccount's token.
   */
  async function install(
    directory: string,
    options: { namespace: string; components?: string[]; settings?: string[] },
  ): Promise<{ rules: Rule[]; kubeconfig: string; user: string }> {
    const overlay = await mkdtemp(join(workdir, 'overlay-'));
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(overlay, join(DEPLOY_DIR, 'kubernetes', directory))],
        components: (options.components ?? []).map((component) =>
          relative(overlay, join(DEPLOY_DIR, 'kubernetes', 'components', component)),
        ),
        // ECR_REFRESH_* settings merged into the install's ConfigMap, as the README's overlays do.
        ...(options.settings === undefined
          ? {}
          : {
              configMapGenerator: [
                { name: 'ecr-refresh', behavior: 'merge', literals: options.settings },
              ],
            }),
      }),
    );
    const suffix = options.namespace;
    const objects = kustomize(kube, overlay).filter((object) =>
      /Role|RoleBinding|ClusterRole|ClusterRoleBinding|ServiceAccount/.test(object.kind),
    );
    for (const object of objects) {
      if (object.kind.startsWith('Cluster')) object.metadata.name = `ecr-refresh-${suffix}`;
      else object.metadata.namespace = options.namespace;
      if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = `ecr-refresh-${suffix}`;
      for (const subject of object.subjects ?? []) subject.namespace = options.namespace;
    }
    kubectl(
      kube,
      ['apply', '-f', '-'],
      objects.map((object) => `---\n${stringify(object)}`).join(''),
    );
    const rules = objects
      .filter((object) => object.kind === 'Role' || object.kind === 'ClusterRole')
      .flatMap((object) => object.rules as Rule[]);
    const token = await kube.createServiceAccountToken(options.namespace, 'ecr-refresh', {
      expirationSeconds: 900,
    });
    return {
      rules,
      kubeconfig: await kube.kubeconfigForToken(token, options.namespace),
      user: `system:serviceaccount:${options.namespace}:ecr-refresh`,
    };
  }

  const refreshLogging = (level: string, kubeconfig: string, ...args: string[]) =>
    runCli(
      [
        'k8s',
        '-r',
        HOST,
        '--endpoint-url',
        moto.endpoint,
        '--kubeconfig',
        kubeconfig,
        '--output',
        'json',
        '--log-level',
        level,
        ...args,
      ],
      DUMMY_AWS_ENV,
    );
  const refresh = (kubeconfig: string, ...args: string[]) =>
    refreshLogging('warn', kubeconfig, ...args);

  /**
   * No request refused, and every grant used but those of `unused` (by default the Event grants,
   * which only a failed target uses: the failure tests below pass none).
   */
  async function assertExactlyUsed(
    user: string,
    rules: readonly Rule[],
    unused: readonly string[] = FAILURE_ONLY_GRANTS,
  ): Promise<void> {
    const events = await kube.auditEvents(user);
    const { used, forbidden } = usedPairs(events);
    assert.deepEqual(forbidden, [], 'requests refused with 403');
    assert.deepEqual(
      used,
      grantedPairs(rules).filter((pair) => !unused.includes(pair)),
      'granted and used verbs differ',
    );
    // Every request, watches included, names the tool in the audit log.
    assert.deepEqual(
      [...new Set(events.map((event) => event.userAgent))],
      [USER_AGENT],
      'User-Agent of the requests',
    );
  }

  /**
   * Runs the service (`--watch`) as the ServiceAccount: a namespace created, a Secret deleted and
   * one altered, a ServiceAccount created (`account`) or stripped of its reference (`default`)
   * while it runs are served, the ServiceAccount within 2 s, then SIGTERM. A watch is audited once
   * it ends, so the check waits for the grants to be used rather than reading the log once.
   */
  async function serveWhileWatching(
    install: { kubeconfig: string; user: string; rules: readonly Rule[] },
    namespaces: { existing: string; created?: string },
    args: string[],
    account = 'default',
  ): Promise<void> {
    const service = await startWatchService(moto, ['--kubeconfig', install.kubeconfig, ...args]);
    try {
      if (account === 'default') {
        await stripPullSecret(kube, namespaces.existing);
      } else {
        const created = await kube.request(
          'POST',
          `/api/v1/namespaces/${namespaces.existing}/serviceaccounts`,
          { metadata: { name: account } },
        );
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
      const tookMs = await referencedWithin(kube, namespaces.existing, account);
      assert.ok(tookMs < 2000, `ServiceAccount ${account} referenced after ${tookMs} ms`);
      if (namespaces.created !== undefined) {
        await createNamespaces(kube, [namespaces.created]);
        await servedWithin(kube, namespaces.created);
      }
      assert.equal(
        (
          await kube.request(
            'DELETE',
            `/api/v1/namespaces/${namespaces.existing}/secrets/${SECRET}`,
          )
        ).status,
        200,
      );
      await servedWithin(kube, namespaces.existing);
      // Altered: its record no longer holds, so it is replaced in place (update).
      const secret = await readSecret(kube, namespaces.existing);
      const altered = {
        ...secret,
        metadata: {
          ...secret.metadata,
          annotations: {
            ...secret.metadata.annotations,
            'ecr-refresh/auth-sha256': '0'.repeat(64),
          },
        },
      };
      assert.equal(
        (
          await kube.request(
            'PUT',
            `/api/v1/namespaces/${namespaces.existing}/secrets/${SECRET}`,
            altered,
          )
        ).status,
        200,
      );
      await waitUntil(
        async () =>
          (await readSecret(kube, namespaces.existing)).metadata.annotations[
            'ecr-refresh/auth-sha256'
          ] !== '0'.repeat(64),
        { what: 'the altered Secret restored', timeoutMs: 10_000 },
      );
      await service.stop();
    } finally {
      service.cli.child.kill('SIGKILL');
    }
    const expected = grantedPairs(install.rules).filter(
      (pair) => !FAILURE_ONLY_GRANTS.includes(pair),
    );
    await waitUntil(
      async () => usedPairs(await kube.auditEvents(install.user)).used.length >= expected.length,
      { what: 'every grant used', timeoutMs: 10_000 },
    ).catch(() => undefined);
    await assertExactlyUsed(install.user, install.rules);
  }

  it('cluster-wide install: globs across namespaces create, leave fresh, update; no 403 and no unused grant', async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-cw');
    const targets = [`${prefix}-a`, `${prefix}-b`];
    await createNamespaces(kube, [home, ...targets]);
    const { rules, kubeconfig, user } = await install('cluster-wide', { namespace: home });
    const first = await refresh(kubeconfig, '-n', `${prefix}-*`);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.equal(targetsByAction(first.stdout).created?.length, 2);
    assert.equal((await refresh(kubeconfig, '-n', `${prefix}-*`)).status, 0);
    const forced = await refresh(kubeconfig, '-n', `${prefix}-*`, '--force');
    assert.equal(targetsByAction(forced.stdout).updated?.length, 2, forced.stdout);
    for (const namespace of targets)
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
    // Plain names are read namespace by namespace (get), as a namespaced Role allows: the install serves both.
    const named = await refresh(kubeconfig, '-n', `${prefix}-a`, '--force');
    assert.deepEqual(
      targetsByAction(named.stdout),
      { updated: [`ecr-refresh-test/${prefix}-a`] },
      named.stdout + named.stderr,
    );
    await assertExactlyUsed(user, rules);
    // And nothing more than that: no delete, no other Secret, no other ServiceAccount.
    for (const [verb, resource] of [
      ['delete', 'secrets'],
      ['list', 'secrets'],
      ['get', 'secrets/someone-elses'],
      ['patch', 'serviceaccounts/builder'],
      ['delete', 'serviceaccounts'],
    ]) {
      assert.equal(
        canI(kube, user, verb ?? '', resource ?? '', targets[0] ?? ''),
        false,
        `${verb} ${resource} is granted`,
      );
    }
  });

  it('cluster-wide install with every ServiceAccount: no 403 and no unused grant', async () => {
    const home = uniqueName('rbac-home');
    const target = uniqueName('rbac-allsa');
    await createNamespaces(kube, [home, target]);
    await kube.request('POST', `/api/v1/namespaces/${target}/serviceaccounts`, {
      metadata: { name: 'builder' },
      imagePullSecrets: [{ name: 'theirs' }],
    });
    const { rules, kubeconfig, user } = await install('cluster-wide', {
      namespace: home,
      components: ['all-service-accounts'],
    });
    const run = await refresh(kubeconfig, '-n', target, '--service-account', '*');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(
      (await refresh(kubeconfig, '-n', target, '--service-account', '*', '--force')).status,
      0,
    );
    // The component says --service-account=* through the CronJob's settings; here it is a flag.
    assert.deepEqual(await pullSecretsOf(kube, target, 'builder'), ['theirs', SECRET]);
    // Listing namespaces is granted for globs; this run named its namespace, so use it once more with a glob.
    const seen = (await requestsOf(kube, user)).length;
    assert.equal(
      (await refresh(kubeconfig, '-n', `${target.slice(0, -2)}*`, '--service-account', '*')).status,
      0,
    );
    // With a glob, every ServiceAccount is one list across namespaces, as the component's grant allows.
    assert.deepEqual((await requestsOf(kube, user, seen)).sort(), [
      NAMESPACES_LIST,
      `list /api/v1/secrets?fieldSelector=metadata.name=${SECRET}`,
      'list /api/v1/serviceaccounts',
    ]);
    await assertExactlyUsed(user, rules);
  });

  it('cluster-wide install in service mode: watches namespaces, our Secrets and ServiceAccounts by name; no 403 and no unused grant', async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-svc');
    await createNamespaces(kube, [home, `${prefix}-a`]);
    const installed = await install('cluster-wide', {
      namespace: home,
      components: ['service-mode'],
    });
    // The service lists what is in place (a glob); plain names and lost races read one by one (get).
    const named = await refresh(installed.kubeconfig, '-n', `${prefix}-a`);
    assert.equal(named.status, 0, named.stdout + named.stderr);
    await serveWhileWatching(installed, { existing: `${prefix}-a`, created: `${prefix}-b` }, [
      '-n',
      `${prefix}-*`,
    ]);
    // Watching is by name: neither another Secret nor every Secret of a namespace, nor every ServiceAccount.
    assert.equal(
      canI(kube, installed.user, 'watch', 'secrets', `${prefix}-a`),
      false,
      'watch of every Secret is granted',
    );
    assert.equal(
      canI(kube, installed.user, 'list', 'secrets', `${prefix}-a`),
      false,
      'list of every Secret is granted',
    );
    assert.equal(
      canI(kube, installed.user, 'watch', 'serviceaccounts', `${prefix}-a`),
      false,
      'watch of every ServiceAccount is granted',
    );
    assert.equal(
      canI(kube, installed.user, 'watch', 'serviceaccounts/default', `${prefix}-a`),
      true,
    );
  });

  it('cluster-wide install in service mode with every ServiceAccount (components in either order): a new ServiceAccount within 2 s; no 403 and no unused grant', async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-svc-all');
    await createNamespaces(kube, [home, `${prefix}-a`]);
    const installed = await install('cluster-wide', {
      namespace: home,
      components: ['all-service-accounts', 'service-mode'],
    });
    const named = await refresh(
      installed.kubeconfig,
      '-n',
      `${prefix}-a`,
      '--service-account',
      '*',
    );
    assert.equal(named.status, 0, named.stdout + named.stderr);
    await serveWhileWatching(
      installed,
      { existing: `${prefix}-a`, created: `${prefix}-b` },
      ['-n', `${prefix}-*`, '--service-account', '*'],
      'builder',
    );
    assert.deepEqual(await pullSecretsOf(kube, `${prefix}-a`, 'builder'), [SECRET]);
  });

  it('single-namespace install in service mode: watches only its own Secret and ServiceAccount; no 403 and no unused grant', async () => {
    const namespace = uniqueName('rbac-single-svc');
    await createNamespaces(kube, [namespace]);
    const installed = await install('single-namespace', {
      namespace,
      components: ['service-mode'],
    });
    await serveWhileWatching(installed, { existing: namespace }, []);
    assertOnlyItsOwnNamespace(installed, namespace);
  });

  it('single-namespace install in service mode with every ServiceAccount (components in either order): a new ServiceAccount within 2 s; no 403 and no unused grant', async () => {
    const namespace = uniqueName('rbac-single-all');
    await createNamespaces(kube, [namespace]);
    const installed = await install('single-namespace', {
      namespace,
      components: ['service-mode', 'all-service-accounts'],
    });
    await serveWhileWatching(
      installed,
      { existing: namespace },
      ['--service-account', '*'],
      'builder',
    );
    assertOnlyItsOwnNamespace(installed, namespace);
  });

  /**
   * Reading its own namespace (for the opt-out label) is all a single-namespace install may do with
   * namespaces. Asked with real requests as the ServiceAccount (`can-i` would check a namespace's
   * read against the Role's namespace, where the API server checks it against the namespace read).
   */
  function assertOnlyItsOwnNamespace(
    install: { kubeconfig: string; user: string },
    namespace: string,
  ): void {
    const read = (name: string) =>
      spawnSync(
        'kubectl',
        ['--kubeconfig', install.kubeconfig, 'get', '--raw', `/api/v1/namespaces/${name}`],
        { encoding: 'utf8' },
      );
    assert.equal(read(namespace).status, 0, read(namespace).stderr);
    assert.match(read('kube-system').stderr, /forbidden/i);
    for (const verb of ['list', 'watch'])
      assert.equal(
        canI(kube, install.user, verb, 'namespaces', namespace),
        false,
        `${verb} namespaces is granted`,
      );
  }

  it("another Secret name through components/secret-name: the one rule naming it (service mode's watch included) has it; no 403", async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-name');
    const secret = 'ecr-team-credentials';
    await createNamespaces(kube, [home, `${prefix}-a`]);
    const installed = await install('cluster-wide', {
      namespace: home,
      components: ['service-mode', 'secret-name'],
      settings: [`ECR_REFRESH_SECRET_NAME=${secret}`],
    });
    const named = installed.rules.filter(
      (rule) => rule.resources.includes('secrets') && rule.resourceNames !== undefined,
    );
    assert.deepEqual(
      named.map((rule) => [rule.resourceNames, rule.verbs]),
      [[[secret], ['get', 'list', 'update', 'watch']]],
      'one rule names the Secret',
    );
    for (const args of [
      ['-n', `${prefix}-*`],
      ['-n', `${prefix}-*`, '--force'],
      ['-n', `${prefix}-a`, '--force'],
    ]) {
      const run = await refresh(installed.kubeconfig, '--secret-name', secret, ...args);
      assert.equal(run.status, 0, run.stdout + run.stderr);
    }
    assert.ok(await readSecret(kube, `${prefix}-a`, secret));
    const used = usedPairs(await kube.auditEvents(installed.user));
    assert.deepEqual(used.forbidden, []);
    // The watches are the service's (proven in service mode above), the Event grants a failure's
    // (proven below); the runs here use every other grant.
    const expected = grantedPairs(installed.rules).filter(
      (pair) => !pair.endsWith(' watch') && !FAILURE_ONLY_GRANTS.includes(pair),
    );
    assert.deepEqual(used.used, expected);
    // Asked last: kubectl auth can-i is itself a request of the user's.
    assert.equal(
      canI(kube, installed.user, 'get', `secrets/${SECRET}`, `${prefix}-a`),
      false,
      'the default name is still granted',
    );
  });

  it("single-namespace install: the pod's own namespace, no cluster-wide permission; no 403 and no unused grant", async () => {
    const namespace = uniqueName('rbac-single');
    await createNamespaces(kube, [namespace], { pullSecrets: ['theirs'] });
    const installed = await install('single-namespace', { namespace });
    const { rules, kubeconfig, user } = installed;
    assert.equal((await refresh(kubeconfig)).status, 0);
    const seen = (await requestsOf(kube, user)).length;
    const forced = await refresh(kubeconfig, '--force');
    assert.equal(forced.status, 0, forced.stdout + forced.stderr);
    // Its namespace is named, not listed: read with one GET each (the namespace for its opt-out label), no list at all.
    assert.deepEqual(await requestsOf(kube, user, seen), [
      `get /api/v1/namespaces/${namespace}`,
      `get /api/v1/namespaces/${namespace}/secrets/${SECRET}`,
      `update /api/v1/namespaces/${namespace}/secrets/${SECRET}`,
      `get /api/v1/namespaces/${namespace}/serviceaccounts/default`,
    ]);
    assert.ok(await readSecret(kube, namespace));
    assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
    await assertExactlyUsed(user, rules);
    assertOnlyItsOwnNamespace(installed, namespace);
  });
  it('cluster-wide install: a run with nothing to write is three lists whatever the number of namespaces, an update one write per namespace more (audit log)', async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-lists');
    const targets = Array.from({ length: 6 }, (_, index) => `${prefix}-${index}`);
    await createNamespaces(kube, [home, ...targets]);
    const { kubeconfig, user } = await install('cluster-wide', { namespace: home });
    const secretsByName = `list /api/v1/secrets?fieldSelector=metadata.name=${SECRET}`;
    const accountsByName = 'list /api/v1/serviceaccounts?fieldSelector=metadata.name=default';
    const lists = [NAMESPACES_LIST, secretsByName, accountsByName];
    const created = await refresh(kubeconfig, '-n', `${prefix}-*`);
    assert.equal(
      targetsByAction(created.stdout).created?.length,
      targets.length,
      created.stdout + created.stderr,
    );
    const afterCreate = await requestsOf(kube, user);
    assert.deepEqual(
      [...afterCreate].sort(),
      [
        ...lists,
        ...targets.map((namespace) => `create /api/v1/namespaces/${namespace}/secrets`),
        ...targets.map(
          (namespace) => `patch /api/v1/namespaces/${namespace}/serviceaccounts/default`,
        ),
      ].sort(),
    );
    const unchanged = await refresh(kubeconfig, '-n', `${prefix}-*`);
    assert.equal(
      targetsByAction(unchanged.stdout).unchanged?.length,
      targets.length,
      unchanged.stdout,
    );
    assert.deepEqual((await requestsOf(kube, user, afterCreate.length)).sort(), [...lists].sort());
    const seen = (await requestsOf(kube, user)).length;
    const forced = await refresh(kubeconfig, '-n', `${prefix}-*`, '--force');
    assert.equal(targetsByAction(forced.stdout).updated?.length, targets.length, forced.stdout);
    assert.deepEqual(
      (await requestsOf(kube, user, seen)).sort(),
      [
        ...lists,
        ...targets.map((namespace) => `update /api/v1/namespaces/${namespace}/secrets/${SECRET}`),
      ].sort(),
    );
    for (const namespace of targets)
      assert.deepEqual(await pullSecretsOf(kube, namespace), [SECRET]);
  });

  it('RBAC without the lists (an older install): each list refused once, said once, then read namespace by namespace with the same results (audit log)', async () => {
    const home = uniqueName('rbac-home');
    const prefix = uniqueName('rbac-nolist');
    const targets = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    await createNamespaces(kube, [home, ...targets], { pullSecrets: ['theirs'] });
    const { kubeconfig, user } = await install('cluster-wide', { namespace: home });
    // Take `list` away from the rules by name, as the RBAC shipped before the lists had it.
    const role = `ecr-refresh-${home}`;
    const rules = JSON.parse(kubectl(kube, ['get', 'clusterrole', role, '-o', 'json']))
      .rules as Rule[];
    const withoutLists = rules.map((rule) =>
      rule.resourceNames === undefined
        ? rule
        : { ...rule, verbs: rule.verbs.filter((verb) => verb !== 'list') },
    );
    kubectl(kube, [
      'patch',
      'clusterrole',
      role,
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/rules', value: withoutLists }]),
    ]);
    assert.equal(canI(kube, user, 'list', 'secrets', targets[0] ?? ''), false);
    const created = await refreshLogging('info', kubeconfig, '-n', `${prefix}-*`);
    assert.equal(created.status, 0, created.stdout + created.stderr);
    assert.equal(targetsByAction(created.stdout).created?.length, targets.length, created.stdout);
    for (const message of [
      'not allowed to list Secrets across namespaces',
      'not allowed to list ServiceAccounts across namespaces',
    ]) {
      assert.equal(created.stderr.split(message).length - 1, 1, created.stderr);
    }
    const seen = (await requestsOf(kube, user)).length;
    const unchanged = await refresh(kubeconfig, '-n', `${prefix}-*`);
    assert.equal(
      targetsByAction(unchanged.stdout).unchanged?.length,
      targets.length,
      unchanged.stdout,
    );
    assert.deepEqual((await requestsOf(kube, user, seen, true)).sort(), [
      `list /api/v1/secrets?fieldSelector=metadata.name=${SECRET}`,
      'list /api/v1/serviceaccounts?fieldSelector=metadata.name=default',
    ]);
    assert.deepEqual(
      (await requestsOf(kube, user, seen)).filter((request) => !request.startsWith('list ')).sort(),
      [
        ...targets.map((namespace) => `get /api/v1/namespaces/${namespace}/secrets/${SECRET}`),
        ...targets.map(
          (namespace) => `get /api/v1/namespaces/${namespace}/serviceaccounts/default`,
        ),
      ].sort(),
    );
    for (const namespace of targets)
      assert.deepEqual(await pullSecretsOf(kube, namespace), ['theirs', SECRET]);
  });

  describe('Warning Events of failed targets', () => {
    /** The events.k8s.io/v1 Events of a namespace, as the admin reads them. */
    async function eventsIn(namespace: string): Promise<any[]> {
      const response = await kube.request(
        'GET',
        `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      );
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.items;
    }

    /**
     * Three library runs as the installed identity, 6 minutes apart on the injected clock: the
     * first creates an Event, the second is only counted, the third (past the 10 minutes) patches
     * the series with the count, 3.
     */
    async function recurAfterTheInterval(kubeconfig: string, namespace: string): Promise<void> {
      const sink = createKubernetesSink({
        kubeconfig,
        namespaces: [namespace],
        serviceAccounts: [],
      });
      const tokenSource = createTokenSource({
        endpoint: moto.endpoint,
        credentials: async () => ({
          accessKeyId: DUMMY_AWS_ENV.AWS_ACCESS_KEY_ID,
          secretAccessKey: DUMMY_AWS_ENV.AWS_SECRET_ACCESS_KEY,
        }),
      });
      const start = Date.now();
      for (const minutes of [0, 6, 12]) {
        const report = await refreshWith({
          registries: [parseRegistry(HOST)],
          sinks: [sink],
          tokenSource,
          clock: () => new Date(start + minutes * 60_000),
        });
        assert.equal(report.totals.failed, 1);
      }
    }

    it('cluster-wide install: one Event on the Secret in the way (kubectl events shows it), none for the others, the count of a recurrence patched; every grant used, no 403 (audit log)', async () => {
      const home = uniqueName('rbac-home');
      const prefix = uniqueName('rbac-ev');
      const [ok, taken] = [`${prefix}-ok`, `${prefix}-taken`];
      await createNamespaces(kube, [home, ok, taken]);
      // A Secret of our name and another type: never ours to write.
      const opaque = await kube.request('POST', `/api/v1/namespaces/${taken}/secrets`, {
        metadata: { name: SECRET },
        type: 'Opaque',
        data: { token: Buffer.from('theirs').toString('base64') },
      });
      assert.equal(opaque.status, 201, JSON.stringify(opaque.body));
      const { rules, kubeconfig, user } = await install('cluster-wide', { namespace: home });
      const run = await refresh(kubeconfig, '-n', `${prefix}-*`);
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.deepEqual(targetsByAction(run.stdout), {
        created: [`ecr-refresh-test/${ok}`],
        failed: [`ecr-refresh-test/${taken}`],
      });
      assert.deepEqual(await eventsIn(ok), []);
      const events = await eventsIn(taken);
      assert.equal(events.length, 1, JSON.stringify(events));
      const [event] = events;
      assert.deepEqual(
        [event.type, event.reason, event.action, event.reportingController, event.series],
        ['Warning', 'SecretConflict', 'Refresh', 'ecr-refresh', undefined],
      );
      assert.deepEqual(event.regarding, {
        kind: 'Secret',
        namespace: taken,
        name: SECRET,
        uid: opaque.body.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: opaque.body.metadata.resourceVersion,
      });
      assert.match(event.note, /exists with type Opaque, not kubernetes\.io\/dockerconfigjson/);
      // kubectl finds it through the core/v1 view of the same Event: by object, and by reporting component.
      assert.match(
        kubectl(kube, ['events', '-n', taken, '--for', `secret/${SECRET}`]),
        /Warning\s+SecretConflict\s+secret\/ecr-pull-credentials\s+Secret .* exists with type Opaque/i,
      );
      const reported = JSON.parse(
        kubectl(kube, [
          'get',
          'events',
          '-A',
          '--field-selector',
          'reportingComponent=ecr-refresh',
          '-o',
          'json',
        ]),
      ).items;
      assert.ok(
        reported.some(
          (item: any) =>
            item.metadata.namespace === taken &&
            item.reason === 'SecretConflict' &&
            item.involvedObject.uid === opaque.body.metadata.uid,
        ),
        JSON.stringify(reported),
      );
      await recurAfterTheInterval(kubeconfig, taken);
      const series = (await eventsIn(taken)).filter((candidate) => candidate.series !== undefined);
      assert.deepEqual(
        series.map((candidate) => candidate.series.count),
        [3],
      );
      assert.doesNotMatch(JSON.stringify(await eventsIn(taken)), new RegExp(MOTO_PASSWORD));
      // A plain name, forced, uses the rest of the grants (read one by one, replace in place).
      const forced = await refresh(kubeconfig, '-n', ok, '--force');
      assert.equal(forced.status, 0, forced.stdout + forced.stderr);
      await assertExactlyUsed(user, rules, []);
    });

    it('cluster-wide install: a Secret out of reach is an Event on its Namespace, in namespace default as the API wants', async () => {
      const home = uniqueName('rbac-home');
      const namespace = uniqueName('rbac-ev-ns');
      await createNamespaces(kube, [home, namespace]);
      const { kubeconfig, user } = await install('cluster-wide', { namespace: home });
      // The ClusterRole grants our Secret by name: another name is refused (403) before any Secret is seen.
      const run = await refresh(kubeconfig, '-n', namespace, '--secret-name', 'not-granted');
      assert.equal(run.status, 1, run.stdout + run.stderr);
      const events = (await eventsIn('default')).filter(
        (event) => event.regarding.kind === 'Namespace' && event.regarding.name === namespace,
      );
      assert.deepEqual(
        events.map((event) => [event.reason, event.type, event.regarding.namespace]),
        [['Forbidden', 'Warning', undefined]],
      );
      assert.deepEqual(await requestsOf(kube, user, 0, true), [
        `get /api/v1/namespaces/${namespace}/secrets/not-granted`,
      ]);
    });

    it('service mode: a failure repeated at every retry is one Event, not one per retry (audit log)', async () => {
      const home = uniqueName('rbac-home');
      const namespace = uniqueName('rbac-storm');
      await createNamespaces(kube, [home, namespace]);
      assert.equal(
        (
          await kube.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
            metadata: { name: SECRET },
            type: 'Opaque',
          })
        ).status,
        201,
      );
      const { kubeconfig, user } = await install('cluster-wide', {
        namespace: home,
        components: ['service-mode'],
      });
      // Never ready (its one target fails), so no /readyz to wait for: the retries are counted in the audit log.
      const service = startCli(
        [
          'k8s',
          '--watch',
          '--listen',
          'off',
          '-r',
          HOST,
          '--endpoint-url',
          moto.endpoint,
          '--log-format',
          'json',
          '--kubeconfig',
          kubeconfig,
          '-n',
          namespace,
        ],
        DUMMY_AWS_ENV,
        120_000,
      );
      const reads = async () =>
        (await requestsOf(kube, user)).filter(
          (request) => request === `get /api/v1/namespaces/${namespace}/secrets/${SECRET}`,
        ).length;
      try {
        await waitUntil(async () => (await reads()) >= 4, {
          what: 'four failed cycles',
          timeoutMs: 60_000,
          intervalMs: 200,
        });
      } finally {
        service.child.kill('SIGTERM');
        await service.exited;
      }
      const eventWrites = (await requestsOf(kube, user)).filter((request) =>
        request.includes('/events'),
      );
      assert.deepEqual(eventWrites, [
        `create /apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      ]);
      const [event, ...more] = await eventsIn(namespace);
      assert.deepEqual(more, []);
      assert.equal(event.reason, 'SecretConflict');
    });

    it('single-namespace install: an invalid Secret in place is an Event on it, its recurrence a patch; every grant used, no 403 (audit log)', async () => {
      const namespace = uniqueName('rbac-ev-single');
      await createNamespaces(kube, [namespace]);
      const { rules, kubeconfig, user } = await install('single-namespace', { namespace });
      assert.equal((await refresh(kubeconfig)).status, 0);
      assert.equal((await refresh(kubeconfig, '--force')).status, 0);
      // Someone writes JSON that is no docker config: the API server takes it, ecr-refresh will not merge into it.
      const secret = await readSecret(kube, namespace);
      const broken = {
        ...secret,
        data: { '.dockerconfigjson': Buffer.from('{"auths":5}').toString('base64') },
      };
      assert.equal(
        (await kube.request('PUT', `/api/v1/namespaces/${namespace}/secrets/${SECRET}`, broken))
          .status,
        200,
      );
      const run = await refresh(kubeconfig);
      assert.equal(run.status, 1, run.stdout + run.stderr);
      const [event] = await eventsIn(namespace);
      assert.deepEqual(
        [event.reason, event.regarding.kind, event.regarding.uid],
        ['InvalidSecret', 'Secret', secret.metadata.uid],
      );
      await recurAfterTheInterval(kubeconfig, namespace);
      assert.deepEqual(
        (await eventsIn(namespace)).map((candidate) => candidate.series?.count),
        [undefined, 3],
      );
      await assertExactlyUsed(user, rules, []);
    });
  });
});
