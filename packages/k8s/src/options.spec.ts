import assert from 'node:assert/strict';
import { ConfigError } from '@ecr-refresh/core';
import { parseKubernetesSinkOptions } from './options.ts';

function problemsOf(input: unknown): readonly string[] {
  try {
    parseKubernetesSinkOptions(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe('k8s/options', () => {
  describe('valid', () => {
    it('applies the defaults: the default ServiceAccount, the documented Secret name, 8 at a time', () => {
      const options = parseKubernetesSinkOptions({});
      assert.deepEqual(
        {
          secretName: options.secretName,
          serviceAccounts: options.serviceAccounts,
          concurrency: options.concurrency,
          adopt: options.adopt,
          namespaces: options.namespaces,
        },
        {
          secretName: 'ecr-pull-credentials',
          serviceAccounts: ['default'],
          concurrency: 8,
          adopt: false,
          namespaces: [],
        },
      );
    });

    const accepted: Array<[string, unknown]> = [
      ['names and globs', { namespaces: ['team-a', 'team-*', 'app-?', '*-prod'] }],
      ['every namespace', { namespaces: ['*'] }],
      ["the blog's per-namespace Secret name", { secretName: 'ecr-{namespace}' }],
      [
        'a set-based label selector',
        { namespaceSelector: 'team in (a, b),tier!=test,!legacy,example.com/owner=ops' },
      ],
      ['every ServiceAccount', { serviceAccounts: ['*'] }],
      ['no ServiceAccount', { serviceAccounts: [] }],
      ['every context', { contexts: 'all' }],
      [
        "every Rancher cluster through Rancher's context",
        { rancherClusters: 'all', contexts: ['rancher'] },
      ],
      ['Rancher clusters by id and display name', { rancherClusters: ['c-m-1a2b3c4d', 'Prod EU'] }],
      ['Rancher clusters by label', { rancherClusterSelector: 'env=prod', clusterConcurrency: 16 }],
    ];
    for (const [name, input] of accepted) {
      it(`accepts ${name}`, () => assert.deepEqual(problemsOf(input), []));
    }
  });

  describe('invalid', () => {
    const rejected: Array<[string, unknown, string]> = [
      [
        'an upper-case namespace',
        { namespaces: ['Team-A'] },
        'k8s.namespaces.0: "Team-A" not a valid namespace',
      ],
      ['a namespace ending in "-"', { namespaces: ['team-'] }, 'k8s.namespaces.0: "team-"'],
      ['a 64-character namespace', { namespaces: ['a'.repeat(64)] }, 'k8s.namespaces.0:'],
      [
        '"*" with other namespaces',
        { namespaces: ['*', 'team-a'] },
        'k8s.namespaces: "*" (every namespace) cannot be combined',
      ],
      [
        'an exclusion with a slash',
        { excludeNamespaces: ['kube/system'] },
        'k8s.excludeNamespaces.0: "kube/system"',
      ],
      [
        'a Secret name with an underscore',
        { secretName: 'ecr_pull' },
        'k8s.secretName: "ecr_pull" not a valid Secret name',
      ],
      [
        'a placeholder that makes names too long',
        { secretName: `${'x'.repeat(200)}-{namespace}` },
        'k8s.secretName:',
      ],
      [
        'a broken label selector',
        { namespaceSelector: 'team in a,b' },
        'k8s.namespaceSelector: "team in a,b" not a valid label selector',
      ],
      [
        'an invalid ServiceAccount name',
        { serviceAccounts: ['Builder'] },
        'k8s.serviceAccounts.0: "Builder"',
      ],
      ['a concurrency of 0', { concurrency: 0 }, 'k8s.concurrency: expected at least 1'],
      ['an unknown option', { namespace: 'team-a' }, 'k8s.(options): Unrecognized key'],
      [
        'Rancher clusters with every context',
        { rancherClusters: 'all', contexts: 'all' },
        'k8s.contexts: "all" with Rancher clusters, name at most one context',
      ],
      [
        'Rancher clusters with two contexts',
        { rancherClusterSelector: 'env=prod', contexts: ['a', 'b'] },
        'k8s.contexts: with Rancher clusters, name at most one context',
      ],
      [
        'an empty Rancher cluster name',
        { rancherClusters: [''] },
        'k8s.rancherClusters.0: "" a cluster id',
      ],
      [
        'a broken cluster label selector',
        { rancherClusterSelector: 'env in prod' },
        'k8s.rancherClusterSelector: "env in prod" not a valid label selector',
      ],
      [
        'a cluster concurrency of 0',
        { clusterConcurrency: 0 },
        'k8s.clusterConcurrency: expected at least 1',
      ],
      [
        'a cluster timeout of 0',
        { clusterTimeoutMs: 0 },
        'k8s.clusterTimeoutMs: expected a positive',
      ],
    ];
    for (const [name, input, expected] of rejected) {
      it(`rejects ${name}, naming the option and the value`, () => {
        const problems = problemsOf(input);
        assert.equal(problems.length, 1, problems.join('\n'));
        assert.ok(problems[0]?.startsWith(expected), String(problems[0]));
      });
    }
  });
});
