import assert from 'node:assert/strict';
import { ConfigError } from '@ecr-refresh/core';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { contextFor } from './__fixtures__/apply-context.ts';
import { createKubernetesSink } from './kubernetes-sink.ts';
import { parseKubernetesSinkOptions, type KubernetesSinkOptionsInput } from './options.ts';
import { parseRancherProjectSinkOptions } from './rancher2/project-options.ts';
import { carriesMetadata, withMetadata } from './secret-metadata.ts';

const SECRET = 'team-a/ecr-pull-credentials';
const IGNORE_EXTRANEOUS = { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous' };

function problemsOf(input: KubernetesSinkOptionsInput): string[] {
  try {
    parseKubernetesSinkOptions(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail('the options were accepted');
}

describe('k8s/secret-metadata', () => {
  describe('validation, before anything is written', () => {
    it('accepts Kubernetes label and annotation keys and values, prefixes and empty label values included', () => {
      const options = parseKubernetesSinkOptions({
        secretLabels: { team: 'payments', 'example.com/tier': '', 'a.b-c_d': 'x.y-z_1' },
        secretAnnotations: {
          ...IGNORE_EXTRANEOUS,
          'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true',
          note: 'any text, with commas, = and spaces',
        },
      });
      assert.equal(options.secretLabels.team, 'payments');
      assert.equal(options.secretAnnotations.note, 'any text, with commas, = and spaces');
    });

    it('refuses invalid keys and values, naming each input and the rule', () => {
      const problems = problemsOf({
        secretLabels: {
          'bad key': 'x',
          team: 'not valid!',
          long: 'v'.repeat(64),
          'Example.com/x': 'y',
        },
        secretAnnotations: { '-starts-with-dash': 'x', ['n'.repeat(64)]: 'x' },
      });
      assert.deepEqual(
        problems.map((problem) => problem.split(' (')[0]),
        [
          'k8s.secretLabels: "bad key" is not a valid key',
          'k8s.secretLabels: the value of "team", "not valid!", is not a valid label value',
          `k8s.secretLabels: the value of "long", "${'v'.repeat(64)}", is not a valid label value`,
          'k8s.secretLabels: "Example.com/x" is not a valid key',
          'k8s.secretAnnotations: "-starts-with-dash" is not a valid key',
          `k8s.secretAnnotations: "${'n'.repeat(64)}" is not a valid key`,
        ],
      );
    });

    it('refuses our own labels and annotations: ours stay authoritative', () => {
      const problems = problemsOf({
        secretLabels: { 'app.kubernetes.io/managed-by': 'helm', 'ecr-refresh/anything': 'x' },
        secretAnnotations: {
          'ecr-refresh/expires-at': '2099-01-01T00:00:00Z',
          'management.cattle.io/project-scoped-secret-copy': 'true',
        },
      });
      assert.equal(problems.length, 4, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /^k8s\.secretLabels: "app\.kubernetes\.io\/managed-by" is set by ecr-refresh itself/,
      );
      assert.match(
        problems[2] ?? '',
        /"ecr-refresh\/expires-at" is set by ecr-refresh itself \(every key under ecr-refresh\/\)/,
      );
    });

    it("refuses Rancher's project label in a project sink's options too", () => {
      assert.throws(
        () =>
          parseRancherProjectSinkOptions({
            projects: ['c-1:p-1'],
            secretLabels: { 'management.cattle.io/project-scoped-secret': 'p-2' },
          }),
        /rancher2\.secretLabels: "management\.cattle\.io\/project-scoped-secret" is set by ecr-refresh itself/,
      );
    });

    it('refuses annotations larger than half of what Kubernetes allows on an object', () => {
      assert.match(
        problemsOf({ secretAnnotations: { big: 'x'.repeat(130 * 1024) } })[0] ?? '',
        /the annotations take \d+ bytes; at most 131072/,
      );
    });
  });

  describe('merging with what is in place', () => {
    it("sets the keys asked for, removes those an earlier write set and no longer asked for, keeps everyone else's", () => {
      const first = withMetadata(
        { labels: { theirs: '1' } },
        { labels: { team: 'a', tier: 'web' }, annotations: IGNORE_EXTRANEOUS },
      );
      assert.deepEqual(first.labels, { theirs: '1', team: 'a', tier: 'web' });
      assert.equal(first.annotations['ecr-refresh/secret-labels'], 'team,tier');
      const second = withMetadata(first, { labels: { team: 'b' }, annotations: {} });
      assert.deepEqual(second.labels, { theirs: '1', team: 'b' });
      assert.deepEqual(second.annotations, { 'ecr-refresh/secret-labels': 'team' });
      assert.equal(carriesMetadata(second, { labels: { team: 'b' }, annotations: {} }), true);
      assert.equal(carriesMetadata(second, { labels: { team: 'c' }, annotations: {} }), false);
    });
  });

  describe('on the Secret the sink writes', () => {
    let api: FakeKubeApi;
    beforeEach(() => {
      api = new FakeKubeApi();
      api.addNamespace('team-a');
      api.addServiceAccount('team-a', 'default');
    });
    const sink = (options: KubernetesSinkOptionsInput) =>
      createKubernetesSink(
        { serviceAccounts: [], ...options },
        { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
      );

    it('applies them on create; a change of them alone rewrites a fresh Secret, and removing one removes it from the Secret', async () => {
      await sink({
        secretLabels: { team: 'payments' },
        secretAnnotations: IGNORE_EXTRANEOUS,
      }).apply(contextFor());
      const created = api.secrets.get(SECRET)?.metadata;
      assert.equal(created?.labels?.team, 'payments');
      assert.equal(created?.labels?.['app.kubernetes.io/managed-by'], 'ecr-refresh');
      assert.equal(
        created?.annotations?.['argocd.argoproj.io/compare-options'],
        'IgnoreExtraneous',
      );
      const [same] = await sink({
        secretLabels: { team: 'payments' },
        secretAnnotations: IGNORE_EXTRANEOUS,
      }).apply(contextFor());
      assert.equal(same?.action, 'unchanged');
      // Someone else's annotation is kept; the label dropped from the options goes.
      const current = structuredClone(api.secrets.get(SECRET) ?? {});
      api.putSecret('team-a', {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: { ...current.metadata?.annotations, 'reloader.stakater.com/match': 'true' },
        },
      });
      const [changed] = await sink({ secretAnnotations: IGNORE_EXTRANEOUS }).apply(contextFor());
      assert.equal(changed?.action, 'updated');
      const updated = api.secrets.get(SECRET)?.metadata;
      assert.equal(updated?.labels?.team, undefined);
      assert.equal(updated?.annotations?.['reloader.stakater.com/match'], 'true');
      assert.equal(
        updated?.annotations?.['argocd.argoproj.io/compare-options'],
        'IgnoreExtraneous',
      );
      assert.equal(updated?.annotations?.['ecr-refresh/secret-labels'], undefined);
      const [again] = await sink({ secretAnnotations: IGNORE_EXTRANEOUS }).apply(contextFor());
      assert.equal(again?.action, 'unchanged');
    });

    it('is checked from the cluster-wide list as well: a fresh Secret the list finds without them is rewritten', async () => {
      await sink({ namespaces: ['team-*'] }).apply(contextFor());
      api.requests.length = 0;
      const [labelled] = await sink({
        namespaces: ['team-*'],
        secretLabels: { team: 'payments' },
      }).apply(contextFor());
      assert.equal(labelled?.action, 'updated');
      assert.equal(api.secrets.get(SECRET)?.metadata?.labels?.team, 'payments');
      // Read from the list alone, then written: no read of the Secret on its own.
      assert.deepEqual(
        api.requests.filter((request) => request.includes('secrets')),
        [
          'list /api/v1/secrets?fieldSelector=metadata.name=ecr-pull-credentials',
          `replace secrets/${SECRET}`,
        ],
      );
      const [fresh] = await sink({
        namespaces: ['team-*'],
        secretLabels: { team: 'payments' },
      }).apply(contextFor());
      assert.equal(fresh?.action, 'unchanged');
    });
  });
});
