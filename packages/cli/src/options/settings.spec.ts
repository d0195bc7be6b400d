import assert from 'node:assert/strict';
import { ConfigError } from '@ecr-refresh/core';
import { resolveSettings } from './settings.ts';
import type { SharedArgs } from './shared-options.ts';

const defaults: SharedArgs = {
  dryRun: false,
  force: false,
  watch: false,
  timeout: 15,
  output: 'table',
  logLevel: 'info',
  logFormat: 'auto',
};

function problemsOf(args: Partial<SharedArgs>, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    resolveSettings({ ...defaults, ...args }, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe('cli/options/settings', () => {
  it('accepts hosts and account:region pairs, comma-separated or repeated, without duplicates', () => {
    const settings = resolveSettings(
      {
        ...defaults,
        registry: [
          '123456789012:eu-west-1,123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          '210987654321:us-east-1',
        ],
      },
      {},
    );
    assert.deepEqual(
      settings.registries.map((target) => target.host),
      [
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        '210987654321.dkr.ecr.us-east-1.amazonaws.com',
      ],
    );
  });

  it("builds the registry from the blog post's AWS_ACCOUNT_NUMBER and AWS_DEFAULT_REGION", () => {
    const settings = resolveSettings(defaults, {
      AWS_ACCOUNT_NUMBER: '123456789012',
      AWS_DEFAULT_REGION: 'sa-east-1',
      EMAIL: 'ops@example.com',
    });
    assert.equal(settings.registries[0]?.host, '123456789012.dkr.ecr.sa-east-1.amazonaws.com');
    assert.equal(settings.email, 'ops@example.com');
  });

  it('gives --region precedence over AWS_REGION for a bare account id', () => {
    const settings = resolveSettings(
      { ...defaults, registry: ['123456789012'], region: 'ap-south-1' },
      { AWS_REGION: 'eu-west-1' },
    );
    assert.equal(settings.registries[0]?.region, 'ap-south-1');
  });

  it('reports every problem at once, each naming its option', () => {
    const problems = problemsOf({
      registry: ['not-a-registry', '1234:eu-west-1'],
      roleArn: 'reader',
      endpointUrl: 'ftp://example.com',
      email: 'nobody',
      timeout: -1,
    });
    assert.equal(problems.length, 6, problems.join('\n'));
    for (const option of [
      'registry: invalid registry "not-a-registry"',
      'registry: invalid registry "1234:eu-west-1"',
      'role-arn:',
      'endpoint-url:',
      'email:',
      'timeout:',
    ]) {
      assert.ok(
        problems.some((problem) => problem.startsWith(option)),
        `no problem starts with ${option}:\n${problems.join('\n')}`,
      );
    }
  });

  it('asks for a registry when none is given, naming every way to give one', () => {
    const [problem] = problemsOf({});
    assert.match(problem ?? '', /--registry .*ECR_REFRESH_REGISTRY.*AWS_ACCOUNT_NUMBER/);
  });

  it('rejects an unknown region and an external id without a role', () => {
    const problems = problemsOf({
      registry: ['123456789012'],
      region: 'eu-wets-1',
      externalId: 'abc',
    });
    assert.ok(problems.some((problem) => problem.startsWith('region: "eu-wets-1"')));
    assert.ok(
      problems.some((problem) =>
        problem.startsWith('external-id: only meaningful with a role ARN'),
      ),
    );
  });

  it('names the expected shape and the likely region for a mistyped --region, and accepts a region newer than the SDK', () => {
    const [problem] = problemsOf({ registry: ['123456789012'], region: 'us-east-l' });
    assert.equal(
      problem,
      'region: "us-east-l" is not an AWS region name: expected <area>-<direction>-<number> like eu-west-1, us-gov-west-1, ' +
        'cn-north-1, eusc-de-east-1 or us-iso-east-1; did you mean us-east-1?',
    );
    const settings = resolveSettings(
      { ...defaults, registry: ['123456789012'], region: 'ap-southwest-9' },
      {},
    );
    assert.equal(settings.registries[0]?.host, '123456789012.dkr.ecr.ap-southwest-9.amazonaws.com');
  });

  it('serves ECR Public next to private registries', () => {
    const settings = resolveSettings(
      { ...defaults, registry: ['123456789012:eu-west-1,public.ecr.aws'] },
      {},
    );
    assert.deepEqual(
      settings.registries.map((target) => [target.kind, target.host]),
      [
        ['private', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
        ['public', 'public.ecr.aws'],
      ],
    );
  });

  it('accepts role ARNs of every partition for registries of that partition', () => {
    const pairs = [
      ['arn:aws:iam::123456789012:role/a', '123456789012:eu-west-1'],
      ['arn:aws-cn:iam::123456789012:role/path/b', '123456789012:cn-north-1'],
      ['arn:aws-us-gov:iam::123456789012:role/c', '123456789012:us-gov-west-1'],
    ];
    for (const [arn, registry] of pairs) {
      assert.equal(
        resolveSettings({ ...defaults, registry: [registry ?? ''], roleArn: arn }, {}).roleArn,
        arn,
      );
    }
  });

  it('rejects a role of another partition than a registry it would serve', () => {
    const problems = problemsOf({
      registry: ['123456789012:eu-west-1', '123456789012:cn-north-1'],
      roleArn: 'arn:aws:iam::123456789012:role/a',
    });
    assert.deepEqual(problems, [
      'role-arn: arn:aws:iam::123456789012:role/a is a role of partition aws, but cn-north-1 is in partition aws-cn (registry 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn)',
    ]);
  });

  describe('registries with identities of their own (config file entries)', () => {
    const ROLE_A = 'arn:aws:iam::111111111111:role/ecr-reader';
    const ROLE_B = 'arn:aws:iam::222222222222:role/ecr-reader';

    it('gives each entry its role, external id or profile, and plain hosts none', () => {
      const settings = resolveSettings(
        {
          ...defaults,
          roleArn: ROLE_A,
          registry: [
            '111111111111:eu-west-1',
            {
              host: '222222222222.dkr.ecr.eu-west-1.amazonaws.com',
              roleArn: ROLE_B,
              externalId: 'tenant-42',
            },
            { host: '333333333333:us-east-1', profile: 'ops' },
            { host: '444444444444:us-east-1' },
          ],
        },
        {},
      );
      assert.deepEqual(
        settings.registries.map((target) => [target.accountId, target.identity]),
        [
          ['111111111111', undefined],
          ['222222222222', { roleArn: ROLE_B, externalId: 'tenant-42' }],
          ['333333333333', { profile: 'ops' }],
          ['444444444444', undefined],
        ],
      );
      assert.equal(settings.roleArn, ROLE_A);
    });

    it('names the registry and the key of every bad identity', () => {
      const problems = problemsOf({
        registry: [
          { host: '111111111111:eu-west-1', roleArn: 'ecr-reader' },
          { host: '222222222222:eu-west-1', externalId: 'tenant-42' },
          { host: '333333333333:cn-north-1', roleArn: ROLE_B },
          { host: '444444444444:eu-west-1', profile: 'two words' },
        ],
      });
      assert.deepEqual(problems, [
        'registry "111111111111:eu-west-1": roleArn: expected an IAM role ARN like arn:aws:iam::123456789012:role/ecr-reader, not "ecr-reader"',
        'registry "222222222222:eu-west-1": externalId: only meaningful with a role ARN',
        `registry "333333333333:cn-north-1": roleArn: ${ROLE_B} is a role of partition aws, but cn-north-1 is in partition aws-cn`,
        'registry "444444444444:eu-west-1": profile: expected a profile name (1 to 128 characters, no spaces or brackets), not "two words"',
      ]);
    });

    it('rejects one host named twice with different identities', () => {
      const problems = problemsOf({
        registry: [
          '111111111111:eu-west-1',
          { host: '111111111111.dkr.ecr.eu-west-1.amazonaws.com', roleArn: ROLE_B },
        ],
      });
      assert.deepEqual(problems, [
        'registry 111111111111.dkr.ecr.eu-west-1.amazonaws.com: listed twice with different identities; one host holds one credential, so name its identity once',
      ]);
    });
  });
});
