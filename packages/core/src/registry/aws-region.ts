import { closestMatch } from 'leven';
import { quoteInput } from '../text/quote-input.ts';

/**
 * An AWS partition as ECR registry hosts see it: which region names belong to it, and the DNS
 * suffixes of its registries. Regions are recognised by the shape of their name, not looked up in
 * a list, so a region AWS opens after this release works at once.
 */
export interface AwsPartition {
  /** The partition id: `aws`, `aws-cn`, `aws-us-gov`, `aws-eusc`, `aws-iso`, `aws-iso-b`, … */
  readonly id: string;
  /** The suffix of registry hosts: `amazonaws.com`, `amazonaws.com.cn`, `amazonaws.eu`, … */
  readonly dnsSuffix: string;
  /** The suffix of dual-stack (IPv6) registry hosts, where ECR offers them. */
  readonly dualStackSuffix?: string | undefined;
}

// Every AWS region name so far ends in a compass direction and a number: eu-west-1, mx-central-1.
const DIRECTIONS = [
  'north',
  'south',
  'east',
  'west',
  'central',
  'northeast',
  'northwest',
  'southeast',
  'southwest',
];
const DIRECTION = `(?:${DIRECTIONS.join('|')})`;

interface PartitionShape {
  readonly partition: AwsPartition;
  /** The region names of the partition; the first shape that matches wins. */
  readonly pattern: RegExp;
  /** Prefixes in use today, to suggest a correction for a mistyped name. */
  readonly knownPrefixes: readonly string[];
}

// From the AWS SDK's partitions.json (ids, DNS suffixes) and the ECR endpoint documentation
// (dual-stack). The specific shapes come before the commercial catch-all.
const SHAPES: readonly PartitionShape[] = [
  shape('us-gov', [], { id: 'aws-us-gov', dnsSuffix: 'amazonaws.com' }),
  shape('us-iso', [], { id: 'aws-iso', dnsSuffix: 'c2s.ic.gov' }),
  shape('us-isob', [], { id: 'aws-iso-b', dnsSuffix: 'sc2s.sgov.gov' }),
  shape('eu-isoe', [], { id: 'aws-iso-e', dnsSuffix: 'cloud.adc-e.uk' }),
  shape('us-isof', [], { id: 'aws-iso-f', dnsSuffix: 'csp.hci.ic.gov' }),
  shape('eusc-[a-z]{2}', ['eusc-de'], { id: 'aws-eusc', dnsSuffix: 'amazonaws.eu' }),
  shape('cn', [], {
    id: 'aws-cn',
    dnsSuffix: 'amazonaws.com.cn',
    dualStackSuffix: 'on.amazonwebservices.com.cn',
  }),
  // Any two-letter area: AWS added il- (2023) and mx- (2025), and will add more.
  shape('[a-z]{2}', ['us', 'eu', 'ap', 'ca', 'sa', 'me', 'af', 'il', 'mx'], {
    id: 'aws',
    dnsSuffix: 'amazonaws.com',
    dualStackSuffix: 'on.aws',
  }),
];

/** A partition whose region names are `<prefix>-<direction>-<number>`. */
function shape(
  prefix: string,
  knownPrefixes: readonly string[],
  partition: AwsPartition,
): PartitionShape {
  const known = knownPrefixes.length > 0 ? knownPrefixes : [prefix];
  return {
    partition,
    knownPrefixes: known,
    pattern: new RegExp(`^${prefix}-${DIRECTION}-\\d{1,2}$`),
  };
}

/** The region-name shape, for error messages. */
export const REGION_SHAPE_HELP =
  'expected <area>-<direction>-<number> like eu-west-1, us-gov-west-1, cn-north-1, eusc-de-east-1 or us-iso-east-1';

/** The partition of `region` by the shape of its name, or undefined when it is not a region name. */
export function partitionOfRegion(region: string): AwsPartition | undefined {
  return SHAPES.find((candidate) => candidate.pattern.test(region))?.partition;
}

/** Whether `region` has the shape of an AWS region name in some partition. */
export function isValidRegion(region: string): boolean {
  return partitionOfRegion(region) !== undefined;
}

/**
 * Why `region` is not a region name, with the expected shape and, for a near miss, the name it
 * probably meant (`us-east-l`, `useast1` → us-east-1); undefined when it is one.
 */
export function regionProblem(region: string): string | undefined {
  if (isValidRegion(region)) return undefined;
  const suggestion = suggestRegion(region);
  const hint = suggestion === undefined ? '' : `; did you mean ${suggestion}?`;
  return `${quoteInput(region)} is not an AWS region name: ${REGION_SHAPE_HELP}${hint}`;
}

/** The region name closest to `input` (at most two edits away), built from today's prefixes. */
function suggestRegion(input: string): string | undefined {
  const typed = input.trim().toLowerCase();
  // Read a look-alike of a digit as that digit, and keep the number the user gave.
  const number = /(\d{1,2})$/.exec(typed.replace(/[il]$/, '1').replace(/o$/, '0'))?.[1] ?? '1';
  const candidates = SHAPES.flatMap((candidate) =>
    candidate.knownPrefixes.flatMap((prefix) =>
      DIRECTIONS.map((direction) => `${prefix}-${direction}-${number}`),
    ),
  );
  return closestMatch(typed, candidates, { maxDistance: 2 });
}
