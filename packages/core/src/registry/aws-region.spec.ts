import assert from 'node:assert/strict';
import { partition as sdkPartition } from '@aws-sdk/util-endpoints';
import { isValidRegion, partitionOfRegion, regionProblem } from './aws-region.ts';

// Every region the AWS SDK bundled today knows, by partition (from its partitions.json).
const SDK_REGIONS: Readonly<Record<string, string>> = {
  aws:
    'af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1 ap-south-2 ap-southeast-1 ' +
    'ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7 ca-central-1 ca-west-1 ' +
    'eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1 ' +
    'me-south-1 me-west-1 mx-central-1 sa-east-1 sa-west-1 us-east-1 us-east-2 us-west-1 us-west-2',
  'aws-cn': 'cn-north-1 cn-northwest-1',
  'aws-eusc': 'eusc-de-east-1',
  'aws-iso': 'us-iso-east-1 us-iso-west-1',
  'aws-iso-b': 'us-isob-east-1 us-isob-west-1',
  'aws-iso-e': 'eu-isoe-west-1',
  'aws-iso-f': 'us-isof-east-1 us-isof-south-1',
  'aws-us-gov': 'us-gov-east-1 us-gov-west-1',
};

describe('core/registry/aws-region', () => {
  describe('partitionOfRegion()', () => {
    for (const [id, regions] of Object.entries(SDK_REGIONS)) {
      it(`puts every ${id} region the AWS SDK knows in ${id}, with the SDK's DNS suffix`, () => {
        for (const region of regions.split(' ')) {
          const partition = partitionOfRegion(region);
          assert.equal(partition?.id, id, region);
          assert.equal(partition.dnsSuffix, sdkPartition(region).dnsSuffix, region);
        }
      });
    }

    const future: Array<[region: string, id: string, suffix: string]> = [
      ['ap-southwest-9', 'aws', 'amazonaws.com'],
      ['nz-north-1', 'aws', 'amazonaws.com'],
      ['eu-central-12', 'aws', 'amazonaws.com'],
      ['cn-south-1', 'aws-cn', 'amazonaws.com.cn'],
      ['us-gov-central-1', 'aws-us-gov', 'amazonaws.com'],
      ['eusc-fr-west-1', 'aws-eusc', 'amazonaws.eu'],
      ['us-isob-south-1', 'aws-iso-b', 'sc2s.sgov.gov'],
      ['eu-isoe-north-1', 'aws-iso-e', 'cloud.adc-e.uk'],
    ];
    for (const [region, id, suffix] of future) {
      it(`accepts ${region}, a region no SDK lists yet, in ${id} by the shape of its name`, () => {
        assert.equal(isValidRegion(region), true);
        assert.deepEqual(
          { id: partitionOfRegion(region)?.id, suffix: partitionOfRegion(region)?.dnsSuffix },
          { id, suffix },
        );
      });
    }

    it('knows the dual-stack registry suffixes of the partitions that have them', () => {
      assert.equal(partitionOfRegion('eu-west-1')?.dualStackSuffix, 'on.aws');
      assert.equal(partitionOfRegion('cn-north-1')?.dualStackSuffix, 'on.amazonwebservices.com.cn');
      assert.equal(partitionOfRegion('us-iso-east-1')?.dualStackSuffix, undefined);
    });
  });

  describe('regionProblem()', () => {
    const typos: Array<[typed: string, meant: string | undefined]> = [
      ['us-east-l', 'us-east-1'],
      ['useast1', 'us-east-1'],
      ['eu-wset-1', 'eu-west-1'],
      ['US-EAST-1', 'us-east-1'],
      ['us-gov-wst-1', 'us-gov-west-1'],
      ['eu-west', 'eu-west-1'],
      ['eu-middle-1', undefined],
      ['mars-north-1', undefined],
      ['', undefined],
    ];
    for (const [typed, meant] of typos) {
      it(`rejects ${JSON.stringify(typed)}, quoting it and naming the expected shape${meant ? ` and ${meant}` : ''}`, () => {
        const problem = regionProblem(typed) ?? '';
        assert.ok(
          problem.startsWith(
            `${JSON.stringify(typed)} is not an AWS region name: expected <area>-<direction>-<number>`,
          ),
          problem,
        );
        if (meant === undefined) assert.doesNotMatch(problem, /did you mean/);
        else assert.ok(problem.endsWith(`did you mean ${meant}?`), problem);
      });
    }

    it('has nothing to say about a valid region', () => {
      assert.equal(regionProblem('eu-west-1'), undefined);
      assert.equal(regionProblem('us-isof-south-1'), undefined);
    });
  });
});
