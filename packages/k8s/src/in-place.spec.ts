import assert from 'node:assert/strict';
import type { Logger } from '@ecr-refresh/core';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { contextFor } from './__fixtures__/apply-context.ts';
import { KubernetesApiError } from './errors.ts';
import { readInPlace } from './in-place.ts';
import type { KubeApi, KubeListPage } from './kube-api.ts';
import { pagesOf } from './list-pages.ts';
import { parseKubernetesSinkOptions } from './options.ts';
import { writeSecret } from './write-secret.ts';

const SECRET = 'ecr-pull-credentials';
const everyTeam = parseKubernetesSinkOptions({ namespaces: ['team-*'] });

function warnings(lines: string[]): Logger {
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: (_fields: object | string, message?: string) => void lines.push(`info: ${message ?? ''}`),
    warn: (_fields: object | string, message?: string) => void lines.push(`warn: ${message ?? ''}`),
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

describe('k8s/in-place', () => {
  it('follows the continue token page by page, one request each', async () => {
    const api = new FakeKubeApi();
    for (const name of ['a', 'b', 'c', 'd', 'e']) api.addNamespace(name);
    const pages: string[][] = [];
    for await (const page of pagesOf(api, { path: '/api/v1/namespaces', limit: 2 }))
      pages.push(page.map((namespace) => namespace.metadata?.name ?? ''));
    assert.deepEqual(pages, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.equal(api.count('list'), 3);
  });

  it('keeps of the lists only the served namespaces: a fresh Secret as its outcome, one to write whole, once each', async () => {
    const api = new FakeKubeApi();
    for (const namespace of ['team-a', 'team-b', 'team-c', 'other']) {
      api.addNamespace(namespace);
      api.addServiceAccount(namespace, 'default', namespace === 'team-b' ? [SECRET] : undefined);
    }
    for (const namespace of ['team-a', 'other'])
      await writeSecret(
        api,
        { namespace, name: SECRET, sink: 'k8s', target: `prod/${namespace}` },
        contextFor(),
        { adopt: false },
      );
    const context = contextFor();
    api.putSecret('team-b', {
      metadata: { name: SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    });
    const inPlace = await readInPlace(api, ['team-a', 'team-b', 'team-c'], everyTeam, {
      context,
      cluster: 'prod',
    });
    const fresh = inPlace.takeSecret('team-a');
    assert.ok(
      fresh !== undefined && 'unchanged' in fresh && fresh.unchanged.action === 'unchanged',
    );
    const foreign = inPlace.takeSecret('team-b');
    assert.ok(
      foreign !== undefined &&
        'secret' in foreign &&
        foreign.secret?.metadata?.namespace === 'team-b',
    );
    assert.deepEqual(inPlace.takeSecret('team-c'), { secret: undefined });
    // Not served, so not kept: read on its own if it ever were asked for.
    assert.equal(inPlace.takeSecret('other'), undefined);
    // Handed out once: a second take reads again.
    assert.equal(inPlace.takeSecret('team-a'), undefined);
    assert.deepEqual(inPlace.takeServiceAccounts('team-b')?.get('default'), {
      metadata: {
        name: 'default',
        namespace: 'team-b',
        resourceVersion: api.serviceAccounts.get('team-b/default')?.metadata?.resourceVersion,
      },
      imagePullSecrets: [{ name: SECRET }],
    });
    assert.deepEqual([...(inPlace.takeServiceAccounts('team-c')?.keys() ?? [])], ['default']);
    assert.equal(context.fetches, 0);
  });

  it('uses nothing of a list that fails on a later page (an expired continue token), and warns once', async () => {
    const api = new FakeKubeApi();
    const pages: Record<string, KubeListPage> = {
      '': {
        items: [{ metadata: { name: SECRET, namespace: 'team-a', resourceVersion: '5' } }],
        continue: 'next',
      },
    };
    const failing: Pick<KubeApi, 'listPage'> = {
      async listPage(query, token) {
        if (query.path === '/api/v1/serviceaccounts') return api.listPage(query, token);
        const page = pages[token ?? ''];
        if (page === undefined)
          throw new KubernetesApiError(
            'prod',
            { method: 'GET', path: query.path, status: 410, reason: 'Expired' },
            'GET /api/v1/secrets: HTTP 410 Expired',
          );
        return page;
      },
    };
    const lines: string[] = [];
    const inPlace = await readInPlace(failing, ['team-a', 'team-b'], everyTeam, {
      context: { ...contextFor(), logger: warnings(lines) },
      cluster: 'prod',
    });
    assert.equal(inPlace.takeSecret('team-a'), undefined);
    assert.equal(inPlace.takeSecret('team-b'), undefined);
    assert.deepEqual(inPlace.takeServiceAccounts('team-a'), new Map());
    assert.deepEqual(lines, [
      'warn: cannot list Secrets across namespaces: reading them namespace by namespace in this run',
    ]);
  });

  it('lists nothing for plain names, nor for no namespace at all', async () => {
    const api = new FakeKubeApi();
    for (const [names, options] of [
      [['team-a'], parseKubernetesSinkOptions({ namespaces: ['team-a'] })],
      [[], everyTeam],
    ] as const) {
      const inPlace = await readInPlace(api, names, options, {
        context: contextFor(),
        cluster: 'prod',
      });
      assert.equal(inPlace.takeSecret('team-a'), undefined);
      assert.equal(inPlace.takeServiceAccounts('team-a'), undefined);
    }
    assert.equal(api.requests.length, 0);
  });
});
