import assert from 'node:assert/strict';
import { InvalidRegistryError } from '../errors.ts';
import { buildRegistryTarget, parseRegistry, parseRegistryHost } from './registry-target.ts';

describe('core/registry/registry-target', () => {
  describe('parseRegistryHost()', () => {
    const valid: Array<
      [name: string, input: string, region: string, variant: string, host?: string]
    > = [
      ['commercial', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'eu-west-1', 'standard'],
      [
        'commercial with scheme, slash and capitals',
        'HTTPS://123456789012.DKR.ECR.eu-west-1.amazonaws.com/',
        'eu-west-1',
        'standard',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      ],
      ['FIPS', '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com', 'us-east-1', 'fips'],
      ['GovCloud', '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com', 'us-gov-west-1', 'standard'],
      [
        'GovCloud FIPS',
        '123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com',
        'us-gov-east-1',
        'fips',
      ],
      ['dual-stack', '123456789012.dkr-ecr.eu-central-1.on.aws', 'eu-central-1', 'dualstack'],
      [
        'dual-stack FIPS',
        '123456789012.dkr-ecr-fips.us-west-2.on.aws',
        'us-west-2',
        'dualstack-fips',
      ],
      ['China', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'cn-north-1', 'standard'],
      [
        'China dual-stack',
        '123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn',
        'cn-northwest-1',
        'dualstack',
      ],
      [
        'EU sovereign cloud',
        '123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu',
        'eusc-de-east-1',
        'standard',
      ],
      ['ISO (C2S)', '123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov', 'us-iso-east-1', 'standard'],
      [
        'ISO-B (SC2S)',
        '123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov',
        'us-isob-east-1',
        'standard',
      ],
      ['ISO-E', '123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk', 'eu-isoe-west-1', 'standard'],
      [
        'ISO-F',
        '123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov',
        'us-isof-south-1',
        'standard',
      ],
      [
        'region opened after this release',
        '123456789012.dkr.ecr.ap-southwest-9.amazonaws.com',
        'ap-southwest-9',
        'standard',
      ],
      [
        'dual-stack in a new region',
        '123456789012.dkr-ecr.nz-north-1.on.aws',
        'nz-north-1',
        'dualstack',
      ],
      [
        'new EU sovereign region',
        '123456789012.dkr.ecr.eusc-fr-west-1.amazonaws.eu',
        'eusc-fr-west-1',
        'standard',
      ],
    ];
    for (const [name, input, region, variant, host] of valid) {
      it(`accepts a ${name} host`, () => {
        const target = parseRegistryHost(input);
        assert.equal(target.kind, 'private');
        assert.equal(target.accountId, '123456789012');
        assert.equal(target.region, region);
        assert.equal(target.variant, variant);
        assert.equal(target.host, host ?? input);
      });
    }

    const publicHosts: Array<[input: string, host: string, variant: string]> = [
      ['public.ecr.aws', 'public.ecr.aws', 'standard'],
      ['https://Public.ECR.aws/', 'public.ecr.aws', 'standard'],
      ['ecr-public.aws.com', 'ecr-public.aws.com', 'dualstack'],
    ];
    for (const [input, host, variant] of publicHosts) {
      it(`accepts the ECR Public host ${input}, served from us-east-1`, () => {
        assert.deepEqual(parseRegistryHost(input), {
          kind: 'public',
          accountId: '',
          region: 'us-east-1',
          host,
          variant,
        });
      });
    }

    const invalid: Array<[name: string, input: string, mentions: string]> = [
      [
        'an account id of 11 digits',
        '12345678901.dkr.ecr.eu-west-1.amazonaws.com',
        'not an ECR registry host',
      ],
      [
        'an account id of 13 digits',
        '1234567890123.dkr.ecr.eu-west-1.amazonaws.com',
        'not an ECR registry host',
      ],
      ['Docker Hub', 'registry-1.docker.io', 'not an ECR registry host'],
      ['an ECR Public image reference', 'public.ecr.aws/nginx/nginx', 'contains a path'],
      ['a lookalike of ECR Public', 'public.ecr.aws.evil.example', 'not an ECR registry host'],
      [
        'an image reference',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0',
        'contains a path',
      ],
      [
        'a mistyped region',
        '123456789012.dkr.ecr.eu-wset-1.amazonaws.com',
        'not an AWS region name: expected <area>-<direction>-<number>',
      ],
      [
        'a region with a letter for a digit',
        '123456789012.dkr.ecr.us-east-l.amazonaws.com',
        'did you mean us-east-1?',
      ],
      [
        'a China region with the commercial suffix',
        '123456789012.dkr.ecr.cn-north-1.amazonaws.com',
        'end in .amazonaws.com.cn',
      ],
      [
        'a commercial region with the China suffix',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn',
        'end in .amazonaws.com',
      ],
      [
        'dual-stack with the IPv4 suffix',
        '123456789012.dkr-ecr.eu-west-1.amazonaws.com',
        'end in .on.aws',
      ],
      [
        'a dual-stack host in an ISO partition',
        '123456789012.dkr-ecr.us-iso-east-1.on.aws',
        'no dualstack registry endpoint',
      ],
      ['an empty string', '', 'not an ECR registry host'],
      ['a lookalike domain', '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example', 'not'],
    ];
    for (const [name, input, mentions] of invalid) {
      it(`rejects ${name}, quoting the input and showing an example`, () => {
        assert.throws(
          () => parseRegistryHost(input),
          (error: unknown) => {
            assert.ok(error instanceof InvalidRegistryError);
            assert.equal(error.code, 'ERR_INVALID_REGISTRY');
            assert.match(error.message, new RegExp(`"${escapeRegExp(input)}"`));
            assert.ok(error.message.includes(mentions), error.message);
            assert.ok(error.message.includes('123456789012.dkr.ecr.eu-west-1.amazonaws.com'));
            return true;
          },
        );
      });
    }
  });

  describe('buildRegistryTarget()', () => {
    const cases: Array<[region: string, host: string]> = [
      ['eu-west-1', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
      ['cn-northwest-1', '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn'],
      ['us-gov-west-1', '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com'],
      ['eusc-de-east-1', '123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu'],
      ['us-isob-east-1', '123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov'],
    ];
    for (const [region, host] of cases) {
      it(`builds the ${region} host with its partition's suffix`, () => {
        assert.equal(buildRegistryTarget('123456789012', region).host, host);
      });
    }

    it('builds FIPS and dual-stack hosts', () => {
      assert.equal(
        buildRegistryTarget('123456789012', 'us-east-1', 'fips').host,
        '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com',
      );
      assert.equal(
        buildRegistryTarget('123456789012', 'us-east-1', 'dualstack').host,
        '123456789012.dkr-ecr.us-east-1.on.aws',
      );
    });

    it('round-trips every built host through the parser', () => {
      for (const [region, host] of cases)
        assert.equal(
          parseRegistryHost(buildRegistryTarget('123456789012', region).host).host,
          host,
        );
    });

    it('rejects an account id that is not 12 digits', () => {
      assert.throws(
        () => buildRegistryTarget('1234', 'eu-west-1'),
        /account id "1234" must be exactly 12 digits/,
      );
    });
  });

  describe('parseRegistry()', () => {
    it('accepts account:region', () => {
      assert.equal(
        parseRegistry('123456789012:eu-west-1').host,
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      );
    });

    it('accepts account:region with a region opened after this release', () => {
      assert.equal(
        parseRegistry('123456789012:mx-south-2').host,
        '123456789012.dkr.ecr.mx-south-2.amazonaws.com',
      );
    });

    it('rejects account:region with a mistyped region, naming the input, the shape and the likely region', () => {
      assert.throws(
        () => parseRegistry('123456789012:useast1'),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRegistryError);
          assert.match(
            error.message,
            /^invalid registry "123456789012:useast1": "useast1" is not an AWS region name: expected <area>-<direction>-<number>/,
          );
          assert.match(error.message, /did you mean us-east-1\?/);
          return true;
        },
      );
      assert.throws(
        () => parseRegistry('123456789012:mars-north-1'),
        /"mars-north-1" is not an AWS region name/,
      );
    });

    it('accepts public.ecr.aws', () => {
      assert.equal(parseRegistry('public.ecr.aws').kind, 'public');
    });
  });
});

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
