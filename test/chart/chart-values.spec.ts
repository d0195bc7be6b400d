import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, documentedValues, renderChartReadme } from '../../scripts/chart-readme.ts';

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  definitions?: Record<string, Schema>;
}

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;
const rows = documentedValues(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));

function resolved(node: Schema): Schema {
  return node.$ref === undefined
    ? node
    : resolved(schema.definitions?.[node.$ref.replace('#/definitions/', '')] ?? {});
}

/** The schema's value paths, down to the documented keys (an object documented as a whole is one path). */
function schemaPaths(node: Schema, prefix: string, documented: ReadonlySet<string>): string[] {
  return Object.entries(resolved(node).properties ?? {}).flatMap(([key, child]) => {
    const path = `${prefix}${key}`;
    return documented.has(path) ? [path] : schemaPaths(child, `${path}.`, documented);
  });
}

/** The paths of a values tree's leaves (scalars, lists, empty maps). */
function leafPaths(value: unknown, prefix: string): string[] {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.keys(value).length === 0
  )
    return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    leafPaths(child, prefix === '' ? key : `${prefix}.${key}`),
  );
}

/** Every object of the schema that lists its properties, with its path. */
function objectsOf(node: Schema, path: string): Array<[string, Schema]> {
  const here = resolved(node);
  const children = Object.entries(here.properties ?? {}).flatMap(([key, child]) =>
    objectsOf(child, `${path}.${key}`),
  );
  return here.properties === undefined ? children : [[path, here], ...children];
}

describe('the Helm chart values', () => {
  it('the committed README is the one generated from values.yaml (npm run chart-readme)', () => {
    assert.equal(readFileSync(join(CHART_DIR, 'README.md'), 'utf8'), renderChartReadme());
  });

  it("the README's table covers every value of values.yaml", () => {
    const keys = rows.map((row) => row.key);
    assert.equal(new Set(keys).size, keys.length, 'a key is documented twice');
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const leaf of leafPaths(values, '')) {
      assert.ok(
        keys.some((key) => leaf === key || leaf.startsWith(`${key}.`)),
        `${leaf} is not in the table`,
      );
    }
    for (const row of rows)
      assert.notEqual(row.description, '', `${row.key} has an empty description`);
  });

  it('the schema knows exactly the documented values: none missing, none it alone knows', () => {
    const documented = new Set(rows.map((row) => row.key));
    assert.deepEqual(schemaPaths(schema, '', documented).sort(), [...documented].sort());
  });

  it('every object of the schema is closed, so an unknown or misspelt value is refused', () => {
    const open = objectsOf(schema, '(values)')
      .filter(([, node]) => node.additionalProperties !== false)
      .map(([path]) => path);
    assert.deepEqual(open, []);
    for (const [name, definition] of Object.entries(schema.definitions ?? {})) {
      for (const [path, node] of objectsOf(definition, name))
        assert.equal(node.additionalProperties, false, `${path} is open`);
    }
  });

  it('a value without a "# --" description is refused by the generator, naming the value', () => {
    assert.throws(
      () => documentedValues('# -- Documented.\na: 1\nb:\n  c: true\n'),
      /b\.c has no "# --" description/,
    );
    assert.deepEqual(
      documentedValues(
        '# Header.\n\n# -- The mode.\n# @default -- computed\nmode: ""\nnested:\n  # -- Deep.\n  list: [1]\n',
      ),
      [
        { key: 'mode', type: 'string', default: 'computed', description: 'The mode.' },
        { key: 'nested.list', type: 'list', default: '`[1]`', description: 'Deep.' },
      ],
    );
  });
});
