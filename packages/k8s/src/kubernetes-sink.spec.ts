import assert from 'node:assert/strict';
import { ConfigError, type TargetResult } from '@ecr-refresh/core';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { HOST, OTHER_HOST, PASSWORD, contextFor } from './__fixtures__/apply-context.ts';
import type { KubeSecret } from './kube-api.ts';
import { createKubernetesSink } from './kubernetes-sink.ts';
import type { KubernetesSinkOptionsInput } from './options.ts';
import { recordingLogger } from './__fixtures__/recording-logger.ts';

const SECRET = 'ecr-pull-credentials';

function sinkOn(api: FakeKubeApi, options: KubernetesSinkOptionsInput = {}, namespace = 'team-a') {
  return createKubernetesSink(options, { clusters: [{ context: 'prod', namespace, api }] });
}

function dockerConfigIn(secret: KubeSecret | undefined): {
  auths: Record<string, { auth?: string; username?: string; password?: string }>;
} {
  const data = secret?.data?.['.dockerconfigjson'];
  assert.ok(data !== undefined, 'the Secret has no .dockerconfigjson');
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

function byTarget(results: readonly TargetResult[]): Record<string, string> {
  return Object.fromEntries(results.map((result) => [result.target, result.action]));
}

describe('k8s/kubernetes-sink', () => {
  let api: FakeKubeApi;
  beforeEach(() => {
    api = new FakeKubeApi();
    for (const namespace of ['team-a', 'team-b', 'kube-system']) {
      api.addNamespace(namespace, { team: namespace === 'kube-system' ? 'platform' : 'apps' });
      api.addServiceAccount(namespace, 'default');
    }
  });

  describe('the Secret', () => {
    it('creates a dockerconfigjson Secret holding every registry, labelled and annotated as ours', async () => {
      const results = await sinkOn(api, {}).apply(contextFor({ hosts: [HOST, OTHER_HOST] }));
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'created' });
      const secret = api.secrets.get(`team-a/${SECRET}`);
      assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
      assert.equal(secret?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'ecr-refresh');
      assert.equal(secret?.metadata?.annotations?.['ecr-refresh/hosts'], `${HOST},${OTHER_HOST}`);
      const config = dockerConfigIn(secret);
      assert.deepEqual(Object.keys(config.auths).sort(), [HOST, OTHER_HOST].sort());
      assert.equal(config.auths[HOST]?.auth, Buffer.from(`AWS:${PASSWORD}`).toString('base64'));
    });

    it("leaves a fresh Secret alone: no ECR call, one read (and its namespace's label), no write", async () => {
      await sinkOn(api).apply(contextFor());
      const before = structuredClone(api.secrets.get(`team-a/${SECRET}`));
      api.requests.length = 0;
      const context = contextFor({ now: new Date(Date.now() + 3600_000) });
      const [result] = await sinkOn(api, { serviceAccounts: [] }).apply(context);
      assert.equal(result?.action, 'unchanged');
      assert.equal(context.fetches, 0);
      assert.deepEqual(api.requests, ['get namespaces/team-a', `get secrets/team-a/${SECRET}`]);
      assert.deepEqual(api.secrets.get(`team-a/${SECRET}`), before);
    });

    it('replaces a Secret past its half-life in place, keeping its other registries, labels and data', async () => {
      await sinkOn(api).apply(contextFor());
      const stored = api.secrets.get(`team-a/${SECRET}`) as KubeSecret;
      const config = dockerConfigIn(stored);
      config.auths['ghcr.io'] = { auth: 'Z2g6dG9rZW4=' };
      stored.data = {
        ...stored.data,
        '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64'),
        extra: 'eA==',
      };
      stored.metadata = { ...stored.metadata, labels: { ...stored.metadata?.labels, team: 'a' } };
      api.putSecret('team-a', stored);
      api.requests.length = 0;
      const context = contextFor({
        now: new Date(Date.now() + 7 * 3600_000),
        password: 'a-newer-password-9876',
      });
      const [result] = await sinkOn(api, { serviceAccounts: [] }).apply(context);
      assert.equal(result?.action, 'updated');
      assert.deepEqual(api.requests, [
        'get namespaces/team-a',
        `get secrets/team-a/${SECRET}`,
        `replace secrets/team-a/${SECRET}`,
      ]);
      const written = api.secrets.get(`team-a/${SECRET}`);
      assert.equal(dockerConfigIn(written).auths['ghcr.io']?.auth, 'Z2g6dG9rZW4=');
      assert.equal(dockerConfigIn(written).auths[HOST]?.password, 'a-newer-password-9876');
      assert.equal(written?.data?.extra, 'eA==');
      assert.equal(written?.metadata?.labels?.team, 'a');
    });

    it('does not trust its annotations once someone rewrote the credential', async () => {
      await sinkOn(api).apply(contextFor());
      const stored = api.secrets.get(`team-a/${SECRET}`) as KubeSecret;
      const config = dockerConfigIn(stored);
      config.auths[HOST] = { auth: 'c29tZW9uZTplbHNl' };
      api.putSecret('team-a', {
        ...stored,
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
      });
      const context = contextFor();
      const [result] = await sinkOn(api).apply(context);
      assert.equal(result?.action, 'updated');
      assert.equal(context.fetches, 1);
    });

    it('refreshes when a registry is added to the run', async () => {
      await sinkOn(api).apply(contextFor());
      const [result] = await sinkOn(api).apply(contextFor({ hosts: [HOST, OTHER_HOST] }));
      assert.equal(result?.action, 'updated');
      assert.ok(dockerConfigIn(api.secrets.get(`team-a/${SECRET}`)).auths[OTHER_HOST]);
    });

    it('leaves a foreign Secret of the same name untouched and says how to adopt it', async () => {
      const foreign = {
        metadata: { name: SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
      };
      api.putSecret('team-a', foreign);
      const before = structuredClone(api.secrets.get(`team-a/${SECRET}`));
      const context = contextFor();
      const [result] = await sinkOn(api).apply(context);
      assert.equal(result?.action, 'failed');
      assert.equal(result?.error?.code, 'ERR_K8S_SECRET_CONFLICT');
      assert.match(result?.error?.message ?? '', /not created by ecr-refresh.*--adopt/);
      assert.deepEqual(api.secrets.get(`team-a/${SECRET}`), before);
      assert.equal(context.fetches, 0);
    });

    it('adopts a foreign dockerconfigjson Secret when asked, keeping its registries', async () => {
      const theirs = { auths: { 'ghcr.io': { auth: 'Z2g6eA==' } } };
      api.putSecret('team-a', {
        metadata: { name: SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify(theirs)).toString('base64') },
      });
      const [result] = await sinkOn(api, { adopt: true }).apply(contextFor());
      assert.equal(result?.action, 'updated');
      assert.match(result?.reason ?? '', /adopted/);
      const secret = api.secrets.get(`team-a/${SECRET}`);
      assert.equal(secret?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'ecr-refresh');
      assert.deepEqual(Object.keys(dockerConfigIn(secret).auths).sort(), ['ghcr.io', HOST].sort());
    });

    it('never touches a same-named Secret of another type, even when adopting', async () => {
      api.putSecret('team-a', {
        metadata: { name: SECRET, labels: { 'app.kubernetes.io/managed-by': 'ecr-refresh' } },
        type: 'Opaque',
        data: { token: 'eA==' },
      });
      const before = structuredClone(api.secrets.get(`team-a/${SECRET}`));
      const [result] = await sinkOn(api, { adopt: true }).apply(contextFor());
      assert.equal(result?.action, 'failed');
      assert.match(result?.error?.message ?? '', /type Opaque.*never deletes/);
      assert.deepEqual(api.secrets.get(`team-a/${SECRET}`), before);
    });

    it("never writes Rancher's copy of a project-scoped Secret, though it carries our label, even when adopting", async () => {
      await sinkOn(api).apply(contextFor());
      // Rancher copies the project's Secret, labels and record annotations included, and marks the copy.
      const copy = structuredClone(api.secrets.get(`team-a/${SECRET}`) ?? {});
      copy.metadata = {
        ...copy.metadata,
        annotations: {
          ...copy.metadata?.annotations,
          'management.cattle.io/project-scoped-secret-copy': 'true',
        },
      };
      api.putSecret('team-a', copy);
      const before = structuredClone(api.secrets.get(`team-a/${SECRET}`));
      const [result] = await sinkOn(api, { adopt: true, serviceAccounts: [] }).apply(
        contextFor({ force: true }),
      );
      assert.equal(result?.action, 'failed');
      assert.equal(result?.error?.code, 'ERR_K8S_SECRET_CONFLICT');
      assert.match(
        result?.error?.message ?? '',
        /Rancher's copy of a project-scoped Secret.*ecr-refresh rancher2/,
      );
      assert.deepEqual(api.secrets.get(`team-a/${SECRET}`), before);
    });

    it('retries a replace that lost a race to a concurrent writer, from a fresh read', async () => {
      await sinkOn(api).apply(contextFor());
      let raced = false;
      api.beforeWrite = (kind, key) => {
        if (kind !== 'replace' || raced) return;
        raced = true;
        const current = api.secrets.get(key) as KubeSecret;
        api.putSecret('team-a', {
          ...current,
          metadata: {
            ...current.metadata,
            labels: { ...current.metadata?.labels, touched: 'yes' },
          },
        });
      };
      const [result] = await sinkOn(api, { serviceAccounts: [] }).apply(
        contextFor({ force: true }),
      );
      assert.equal(result?.action, 'updated');
      assert.equal(api.count('replace'), 2);
      assert.equal(api.secrets.get(`team-a/${SECRET}`)?.metadata?.labels?.touched, 'yes');
    });

    it('finds the Secret created by a racing run fresh and leaves it', async () => {
      const racer = new FakeKubeApi();
      racer.addNamespace('team-a');
      await sinkOn(racer, { serviceAccounts: [] }).apply(contextFor());
      api.beforeWrite = (kind) => {
        if (kind !== 'create' || api.secrets.size > 0) return;
        api.putSecret('team-a', racer.secrets.get(`team-a/${SECRET}`) as KubeSecret);
      };
      const [result] = await sinkOn(api, { serviceAccounts: [] }).apply(contextFor());
      assert.equal(result?.action, 'unchanged');
      assert.equal(api.count('create'), 1);
      assert.equal(api.requests.filter((request) => request.startsWith('get secrets/')).length, 2);
    });

    it('names the Secret per namespace with the {namespace} placeholder', async () => {
      await sinkOn(api, { namespaces: ['team-a', 'team-b'], secretName: 'ecr-{namespace}' }).apply(
        contextFor(),
      );
      assert.ok(api.secrets.has('team-a/ecr-team-a'));
      assert.ok(api.secrets.has('team-b/ecr-team-b'));
      assert.deepEqual(api.serviceAccounts.get('team-b/default')?.imagePullSecrets, [
        { name: 'ecr-team-b' },
      ]);
    });

    it('writes nothing in a dry run but reports what it would do', async () => {
      const results = await sinkOn(api, { namespaces: ['team-a'] }).apply(
        contextFor({ dryRun: true }),
      );
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'created' });
      assert.equal(results[0]?.dryRun, true);
      assert.equal(api.secrets.size, 0);
      assert.equal(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, undefined);
    });

    it('reports a failed ECR fetch per namespace and writes nothing', async () => {
      const results = await sinkOn(api, { namespaces: ['team-a', 'team-b'] }).apply(
        contextFor({ fail: Object.assign(new Error('denied'), { code: 'ERR_AWS_AUTH' }) }),
      );
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'failed', 'prod/team-b': 'failed' });
      assert.equal(api.secrets.size, 0);
    });

    it('keeps the password out of every result and error message', async () => {
      api.failNext = { verb: 'create', status: 500, reason: 'InternalError' };
      const results = await sinkOn(api).apply(contextFor());
      assert.equal(results[0]?.action, 'failed');
      const printed = JSON.stringify(
        results.map((result) => ({ ...result, error: result.error?.message })),
      );
      for (const form of [PASSWORD, Buffer.from(`AWS:${PASSWORD}`).toString('base64')])
        assert.ok(!printed.includes(form));
    });
  });

  describe('ServiceAccounts', () => {
    it('adds the Secret to the default ServiceAccount, keeping the pull secrets it has', async () => {
      api.addServiceAccount('team-a', 'default', ['registry-one', 'registry-two']);
      await sinkOn(api).apply(contextFor());
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: 'registry-one' },
        { name: 'registry-two' },
        { name: SECRET },
      ]);
    });

    it('does not patch a ServiceAccount that already references the Secret', async () => {
      await sinkOn(api).apply(contextFor());
      api.requests.length = 0;
      const [result] = await sinkOn(api).apply(contextFor());
      assert.equal(result?.action, 'unchanged');
      assert.equal(api.count('patch'), 0);
    });

    it('puts the reference back when someone removed it, reporting the namespace as updated', async () => {
      await sinkOn(api).apply(contextFor());
      api.addServiceAccount('team-a', 'default', ['theirs']);
      const [result] = await sinkOn(api).apply(contextFor());
      assert.equal(result?.action, 'updated');
      assert.match(result?.reason ?? '', /imagePullSecrets of ServiceAccount default/);
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: 'theirs' },
        { name: SECRET },
      ]);
    });

    it('retries a patch whose resourceVersion test failed, keeping the entry the other writer added', async () => {
      let raced = false;
      api.beforeWrite = (kind, key) => {
        if (kind !== 'patch' || raced) return;
        raced = true;
        api.addServiceAccount('team-a', key.split('/')[1] ?? '', ['added-meanwhile']);
      };
      const [result] = await sinkOn(api).apply(contextFor());
      assert.equal(result?.action, 'created');
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: 'added-meanwhile' },
        { name: SECRET },
      ]);
    });

    it('patches every ServiceAccount of the namespace with "*"', async () => {
      api.addServiceAccount('team-a', 'builder', ['theirs']);
      await sinkOn(api, { serviceAccounts: ['*'] }).apply(contextFor());
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: SECRET },
      ]);
      assert.deepEqual(api.serviceAccounts.get('team-a/builder')?.imagePullSecrets, [
        { name: 'theirs' },
        { name: SECRET },
      ]);
      // This mode is granted list and patch only.
      assert.equal(
        api.requests.filter((request) => request.startsWith('get serviceaccounts')).length,
        0,
      );
    });

    it('with "*", re-reads the list after a lost race instead of getting the ServiceAccount', async () => {
      let raced = false;
      api.beforeWrite = (kind, key) => {
        if (kind !== 'patch' || raced) return;
        raced = true;
        api.addServiceAccount('team-a', key.split('/')[1] ?? '', ['added-meanwhile']);
      };
      const [result] = await sinkOn(api, { serviceAccounts: ['*'] }).apply(contextFor());
      assert.equal(result?.action, 'created');
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: 'added-meanwhile' },
        { name: SECRET },
      ]);
      assert.equal(
        api.requests.filter((request) => request.startsWith('get serviceaccounts')).length,
        0,
      );
    });

    it('touches no ServiceAccount when none is asked for', async () => {
      await sinkOn(api, { serviceAccounts: [] }).apply(contextFor());
      assert.equal(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, undefined);
      assert.equal(
        api.requests.some((request) => request.includes('serviceaccounts')),
        false,
      );
    });

    it('fails the namespace, naming it, when a named ServiceAccount is missing; the Secret is still written', async () => {
      const [result] = await sinkOn(api, { serviceAccounts: ['builder'] }).apply(contextFor());
      assert.equal(result?.action, 'failed');
      assert.equal(result?.error?.code, 'ERR_K8S_SERVICE_ACCOUNT_MISSING');
      assert.match(result?.error?.message ?? '', /team-a\/builder does not exist/);
      assert.ok(api.secrets.has(`team-a/${SECRET}`));
    });
  });

  describe('what is in place, read with cluster-wide lists when the namespaces are listed', () => {
    const SECRETS_LIST = `list /api/v1/secrets?fieldSelector=metadata.name=${SECRET}`;
    const DEFAULT_LIST = 'list /api/v1/serviceaccounts?fieldSelector=metadata.name=default';
    // Opted-out namespaces are left out by the server.
    const NAMESPACES_LIST = 'list /api/v1/namespaces?labelSelector=ecr-refresh/exclude!=true';
    const TEAMS = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e'];
    const teams = { namespaces: ['team-*'] };
    beforeEach(() => {
      for (const namespace of TEAMS.slice(2)) {
        api.addNamespace(namespace, { team: 'apps' });
        api.addServiceAccount(namespace, 'default');
      }
    });

    it('leaves fresh Secrets alone with three lists in all: no read per namespace, no ECR call, no write', async () => {
      await sinkOn(api, teams).apply(contextFor());
      api.requests.length = 0;
      const context = contextFor({ now: new Date(Date.now() + 3600_000) });
      const results = await sinkOn(api, teams).apply(context);
      assert.deepEqual(
        byTarget(results),
        Object.fromEntries(TEAMS.map((namespace) => [`prod/${namespace}`, 'unchanged'])),
      );
      assert.ok(
        results.every((result) => result.reason === 'still fresh' && result.record !== undefined),
      );
      assert.equal(context.fetches, 0);
      assert.deepEqual(api.requests, [NAMESPACES_LIST, SECRETS_LIST, DEFAULT_LIST]);
    });

    it('creates with one request per namespace for the Secret and one per ServiceAccount that lacks the reference', async () => {
      api.addServiceAccount('team-c', 'default', [SECRET]);
      const results = await sinkOn(api, teams).apply(contextFor());
      assert.deepEqual(
        byTarget(results),
        Object.fromEntries(TEAMS.map((namespace) => [`prod/${namespace}`, 'created'])),
      );
      assert.equal(api.count('list'), 3);
      assert.equal(api.count('create'), TEAMS.length);
      assert.equal(api.count('patch'), TEAMS.length - 1);
      assert.equal(api.count('get'), 0);
      for (const namespace of TEAMS)
        assert.deepEqual(api.serviceAccounts.get(`${namespace}/default`)?.imagePullSecrets, [
          { name: SECRET },
        ]);
    });

    it('replaces each stale Secret once, with the resourceVersion the list returned, keeping what else it holds', async () => {
      await sinkOn(api, teams).apply(contextFor());
      const stored = api.secrets.get(`team-b/${SECRET}`) as KubeSecret;
      api.putSecret('team-b', { ...stored, data: { ...stored.data, extra: 'eA==' } });
      api.requests.length = 0;
      const results = await sinkOn(api, teams).apply(
        contextFor({ now: new Date(Date.now() + 7 * 3600_000), password: 'a-newer-password-9876' }),
      );
      assert.deepEqual(
        byTarget(results),
        Object.fromEntries(TEAMS.map((namespace) => [`prod/${namespace}`, 'updated'])),
      );
      assert.deepEqual(
        api.requests.filter((request) => !request.startsWith('list ')),
        TEAMS.map((namespace) => `replace secrets/${namespace}/${SECRET}`),
      );
      assert.equal(api.secrets.get(`team-b/${SECRET}`)?.data?.extra, 'eA==');
      assert.equal(
        dockerConfigIn(api.secrets.get(`team-e/${SECRET}`)).auths[HOST]?.password,
        'a-newer-password-9876',
      );
    });

    it('retries a replace refused as stale (the Secret changed after the list) from a fresh read', async () => {
      await sinkOn(api, teams).apply(contextFor());
      api.beforeWrite = (kind, key) => {
        if (kind !== 'replace' || key !== `team-c/${SECRET}` || api.count('get') > 0) return;
        const current = api.secrets.get(key) as KubeSecret;
        api.putSecret('team-c', {
          ...current,
          metadata: {
            ...current.metadata,
            labels: { ...current.metadata?.labels, touched: 'yes' },
          },
        });
      };
      const results = await sinkOn(api, teams).apply(contextFor({ force: true }));
      assert.equal(byTarget(results)['prod/team-c'], 'updated');
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('get ')),
        [`get secrets/team-c/${SECRET}`],
      );
      assert.equal(api.secrets.get(`team-c/${SECRET}`)?.metadata?.labels?.touched, 'yes');
    });

    it('reads a Secret created after the list (409 AlreadyExists) and leaves it when it is fresh', async () => {
      const racer = new FakeKubeApi();
      racer.addNamespace('team-d');
      await sinkOn(racer, { serviceAccounts: [] }, 'team-d').apply(contextFor());
      api.beforeWrite = (kind, key) => {
        if (kind === 'create' && key === `team-d/${SECRET}` && !api.secrets.has(key))
          api.putSecret('team-d', racer.secrets.get(key) as KubeSecret);
      };
      const results = await sinkOn(api, teams).apply(contextFor());
      assert.equal(byTarget(results)['prod/team-d'], 'updated');
      assert.match(
        results.find((result) => result.target === 'prod/team-d')?.reason ?? '',
        /^still fresh; added to imagePullSecrets/,
      );
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('get ')),
        [`get secrets/team-d/${SECRET}`],
      );
    });

    it('patches a ServiceAccount changed after the list from a fresh read, keeping the entry added meanwhile', async () => {
      api.beforeWrite = (kind, key) => {
        if (kind === 'patch' && key === 'team-a/default' && api.count('get') === 0)
          api.addServiceAccount('team-a', 'default', ['added-meanwhile']);
      };
      await sinkOn(api, teams).apply(contextFor());
      assert.deepEqual(api.serviceAccounts.get('team-a/default')?.imagePullSecrets, [
        { name: 'added-meanwhile' },
        { name: SECRET },
      ]);
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('get ')),
        ['get serviceaccounts/team-a/default'],
      );
    });

    it('reads a named ServiceAccount the list did not have before calling it missing', async () => {
      const list = api.listPage.bind(api);
      api.listPage = async (query, token) => {
        const page = await list(query, token);
        // Created just after the ServiceAccounts were listed.
        if (query.fieldSelector === 'metadata.name=builder')
          api.addServiceAccount('team-b', 'builder');
        return page;
      };
      const results = await sinkOn(api, { ...teams, serviceAccounts: ['builder'] }).apply(
        contextFor(),
      );
      assert.equal(byTarget(results)['prod/team-b'], 'created');
      assert.deepEqual(api.serviceAccounts.get('team-b/builder')?.imagePullSecrets, [
        { name: SECRET },
      ]);
      const missing = results.filter((result) => result.action === 'failed');
      assert.equal(missing.length, TEAMS.length - 1);
      assert.ok(
        missing.every((result) => result.error?.code === 'ERR_K8S_SERVICE_ACCOUNT_MISSING'),
      );
      assert.equal(api.count('get'), TEAMS.length);
    });

    it('lists every ServiceAccount once with "*" and patches those that lack the reference', async () => {
      api.addServiceAccount('team-c', 'builder', ['theirs']);
      api.addServiceAccount('kube-system', 'builder');
      await sinkOn(api, { ...teams, serviceAccounts: ['*'] }).apply(contextFor());
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('list ')),
        [NAMESPACES_LIST, SECRETS_LIST, 'list /api/v1/serviceaccounts'],
      );
      assert.deepEqual(api.serviceAccounts.get('team-c/builder')?.imagePullSecrets, [
        { name: 'theirs' },
        { name: SECRET },
      ]);
      assert.equal(api.serviceAccounts.get('kube-system/builder')?.imagePullSecrets, undefined);
      assert.equal(api.count('patch'), TEAMS.length + 1);
    });

    it('leaves a foreign Secret the list found untouched, and every Secret of a namespace it does not serve', async () => {
      const foreign = {
        metadata: { name: SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
      };
      api.putSecret('team-e', foreign);
      api.putSecret('kube-system', {
        ...foreign,
        metadata: { name: SECRET, labels: { 'app.kubernetes.io/managed-by': 'ecr-refresh' } },
      });
      const before = structuredClone([
        api.secrets.get(`team-e/${SECRET}`),
        api.secrets.get(`kube-system/${SECRET}`),
      ]);
      const results = await sinkOn(api, teams).apply(contextFor());
      const failed = results.find((result) => result.target === 'prod/team-e');
      assert.equal(failed?.action, 'failed');
      assert.equal(failed?.error?.code, 'ERR_K8S_SECRET_CONFLICT');
      assert.deepEqual(
        [api.secrets.get(`team-e/${SECRET}`), api.secrets.get(`kube-system/${SECRET}`)],
        before,
      );
      // Nothing but the Warning Event about it: no read, no write of a Secret there.
      assert.deepEqual(
        api.requests
          .filter((request) => /team-e|kube-system/.test(request))
          .map((request) => request.replace(/\.[0-9a-f]+$/, '.<id>')),
        [`create events/team-e/${SECRET}.<id>`],
      );
      assert.deepEqual(
        [...api.events.values()].map((event) => [
          event.reason,
          event.regarding.kind,
          event.regarding.name,
        ]),
        [['SecretConflict', 'Secret', SECRET]],
      );
    });

    it('writes nothing in a dry run but reports what it would do, from the lists alone', async () => {
      await sinkOn(api, { namespaces: ['team-a'] }).apply(contextFor());
      api.requests.length = 0;
      const results = await sinkOn(api, teams).apply(contextFor({ dryRun: true, force: true }));
      assert.deepEqual(byTarget(results), {
        'prod/team-a': 'updated',
        'prod/team-b': 'created',
        'prod/team-c': 'created',
        'prod/team-d': 'created',
        'prod/team-e': 'created',
      });
      assert.ok(results.every((result) => result.dryRun === true));
      assert.deepEqual(api.requests, [NAMESPACES_LIST, SECRETS_LIST, DEFAULT_LIST]);
      assert.equal(api.secrets.size, 1);
    });

    it('reads each namespace instead when listing Secrets is forbidden, saying so once', async () => {
      await sinkOn(api, teams).apply(contextFor());
      api.forbidden = ['list /api/v1/secrets'];
      api.requests.length = 0;
      const lines: string[] = [];
      const results = await sinkOn(api, teams).apply({
        ...contextFor(),
        logger: recordingLogger(lines),
      });
      assert.deepEqual(
        byTarget(results),
        Object.fromEntries(TEAMS.map((namespace) => [`prod/${namespace}`, 'unchanged'])),
      );
      assert.deepEqual(
        api.requests.sort(),
        [
          NAMESPACES_LIST,
          SECRETS_LIST,
          DEFAULT_LIST,
          ...TEAMS.map((namespace) => `get secrets/${namespace}/${SECRET}`),
        ].sort(),
      );
      assert.deepEqual(lines, [
        'info: not allowed to list Secrets across namespaces: reading them namespace by namespace in this run',
      ]);
    });

    it('reads each namespace instead when listing ServiceAccounts is forbidden, saying so once', async () => {
      api.forbidden = ['list /api/v1/serviceaccounts'];
      const lines: string[] = [];
      const results = await sinkOn(api, teams).apply({
        ...contextFor(),
        logger: recordingLogger(lines),
      });
      assert.deepEqual(
        byTarget(results),
        Object.fromEntries(TEAMS.map((namespace) => [`prod/${namespace}`, 'created'])),
      );
      assert.equal(
        api.requests.filter((request) => request.startsWith('get serviceaccounts/')).length,
        TEAMS.length,
      );
      assert.equal(api.count('get'), TEAMS.length);
      assert.deepEqual(lines, [
        'info: not allowed to list ServiceAccounts across namespaces: reading them namespace by namespace in this run',
      ]);
    });

    it('reads a Secret named per namespace ({namespace}) in each namespace, and still lists the ServiceAccounts', async () => {
      await sinkOn(api, { ...teams, secretName: 'ecr-{namespace}' }).apply(contextFor());
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('list ')),
        [NAMESPACES_LIST, DEFAULT_LIST],
      );
      assert.deepEqual(
        api.requests.filter((request) => request.startsWith('get ')),
        TEAMS.map((namespace) => `get secrets/${namespace}/ecr-${namespace}`),
      );
      assert.deepEqual(api.serviceAccounts.get('team-e/default')?.imagePullSecrets, [
        { name: 'ecr-team-e' },
      ]);
    });

    it('reads plain names namespace by namespace and lists nothing, as a namespaced Role allows', async () => {
      await sinkOn(api, { namespaces: ['team-a', 'team-b'] }).apply(contextFor());
      assert.equal(api.count('list'), 0);
      assert.deepEqual(api.requests.filter((request) => request.startsWith('get ')).sort(), [
        'get namespaces/team-a',
        'get namespaces/team-b',
        `get secrets/team-a/${SECRET}`,
        `get secrets/team-b/${SECRET}`,
        'get serviceaccounts/team-a/default',
        'get serviceaccounts/team-b/default',
      ]);
    });

    it('serves plain names as before, with one warning, when RBAC from before the opt-out label refuses reading namespaces', async () => {
      api.labelNamespace('team-a', { 'ecr-refresh/exclude': 'true' });
      api.forbidden = ['get namespaces/'];
      const lines: string[] = [];
      const results = await sinkOn(api, { namespaces: ['team-a', 'team-b'] }).apply({
        ...contextFor(),
        logger: recordingLogger(lines),
      });
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'created', 'prod/team-b': 'created' });
      assert.deepEqual(
        lines.filter((line) => line.startsWith('warn: ')),
        [
          'warn: not allowed to read the named namespaces, so their ecr-refresh/exclude label is not honoured: grant get on namespaces (see the shipped RBAC)',
        ],
      );
    });
  });

  describe('namespaces and clusters', () => {
    it("serves the context's namespace by default, without listing namespaces", async () => {
      const results = await sinkOn(api, {}, 'team-b').apply(contextFor());
      assert.deepEqual(byTarget(results), { 'prod/team-b': 'created' });
      assert.equal(api.count('list'), 0);
    });

    it('serves every namespace with "*", minus exclusions', async () => {
      const results = await sinkOn(api, { namespaces: ['*'], excludeNamespaces: ['kube-*'] }).apply(
        contextFor(),
      );
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'created', 'prod/team-b': 'created' });
    });

    it('matches globs and a label selector, and skips terminating namespaces', async () => {
      api.addNamespace('team-c', { team: 'apps' }, 'Terminating');
      api.addNamespace('tools', { team: 'apps' });
      const results = await sinkOn(api, {
        namespaces: ['team-?'],
        namespaceSelector: 'team=apps',
      }).apply(contextFor());
      assert.deepEqual(byTarget(results), { 'prod/team-a': 'created', 'prod/team-b': 'created' });
    });

    it('reports a cluster whose namespaces cannot be listed as one failed target named by its context', async () => {
      api.failNext = { verb: 'list', status: 403, reason: 'Forbidden' };
      const results = await sinkOn(api, { namespaces: ['*'] }).apply(contextFor());
      assert.equal(results.length, 1);
      assert.equal(results[0]?.target, 'prod');
      assert.equal(results[0]?.cluster, 'prod');
      assert.equal(results[0]?.error?.code, 'ERR_K8S_API');
    });

    it('reports each cluster separately and one failing namespace does not stop the others', async () => {
      const other = new FakeKubeApi();
      other.addNamespace('team-a');
      other.addServiceAccount('team-a', 'default');
      const sink = createKubernetesSink(
        { namespaces: ['team-a', 'missing'] },
        {
          clusters: [
            { context: 'prod', namespace: 'default', api },
            { context: 'staging', namespace: 'default', api: other },
          ],
        },
      );
      const results = await sink.apply(contextFor());
      assert.deepEqual(byTarget(results), {
        'prod/team-a': 'created',
        'prod/missing': 'failed',
        'staging/team-a': 'created',
        'staging/missing': 'failed',
      });
      const clusterOf = results.map((result) => [result.target, result.cluster]);
      assert.deepEqual(clusterOf.sort(), [
        ['prod/missing', 'prod'],
        ['prod/team-a', 'prod'],
        ['staging/missing', 'staging'],
        ['staging/team-a', 'staging'],
      ]);
    });

    it('keeps at most `concurrency` namespaces in flight and reports progress for each', async () => {
      for (let index = 0; index < 20; index += 1) {
        api.addNamespace(`load-${index}`);
        api.addServiceAccount(`load-${index}`, 'default');
      }
      let inFlight = 0;
      let peak = 0;
      // The namespaces are listed, so what is in place comes from lists: each one's own request is its create.
      const create = api.createSecret.bind(api);
      api.createSecret = async (namespace, secret) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight -= 1;
        return create(namespace, secret);
      };
      const progress: number[] = [];
      const sink = createKubernetesSink(
        { namespaces: ['load-*'], concurrency: 3 },
        {
          clusters: [{ context: 'prod', namespace: 'default', api }],
          onProgress: ({ done }) => progress.push(done),
        },
      );
      const results = await sink.apply(contextFor());
      assert.equal(results.length, 20);
      assert.equal(peak, 3);
      assert.deepEqual(
        progress,
        Array.from({ length: 20 }, (_, index) => index + 1),
      );
    });
  });

  it('rejects invalid options before anything else, listing every problem with its value', () => {
    assert.throws(
      () =>
        createKubernetesSink(
          {
            namespaces: ['Team_A'],
            secretName: 'Bad Name',
            serviceAccounts: ['*', 'default'],
            concurrency: 0,
          },
          { clusters: [] },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 4, error.problems.join('\n'));
        assert.ok(
          error.problems.some((problem) => problem.startsWith('k8s.namespaces.0: "Team_A"')),
        );
        assert.ok(
          error.problems.some((problem) => problem.startsWith('k8s.secretName: "Bad Name"')),
        );
        return true;
      },
    );
  });
});
