// `npm run chart-readme`: writes deploy/helm/ecr-refresh/README.md from README.md.gotmpl and the
// `# --` comments of values.yaml, by helm-docs' conventions (the subset this chart uses), so the
// values table cannot drift from the values. `--check` fails instead of writing when it is stale.
//
// helm-docs itself is a Go program; this script needs no Go toolchain and no build, runs on the
// Node.js the project pins, and its check is a plain unit test.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, parse, parseDocument, type Pair, type YAMLMap } from 'yaml';

export const CHART_DIR = join(import.meta.dirname, '..', 'deploy', 'helm', 'ecr-refresh');

/** One row of the values table: a documented key, in helm-docs' columns. */
export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

/**
 * The documented values of a values.yaml, in file order. A key preceded by a `# -- description`
 * comment (continued on the following `#` lines; `# @default -- text` replaces the shown default)
 * is one row, whatever its value; a map without one is described by its keys. A value that is
 * neither is an error naming it: every value is in the table.
 */
export function documentedValues(valuesYaml: string): ValueRow[] {
  const document = parseDocument(valuesYaml);
  if (!isMap(document.contents)) throw new Error('values.yaml: expected a map at the top level');
  const rows: ValueRow[] = [];
  collectRows(document.contents, '', rows);
  return rows;
}

function collectRows(map: YAMLMap, prefix: string, rows: ValueRow[]): void {
  map.items.forEach((pair, index) => {
    const key = `${prefix}${String((pair.key as { value?: unknown }).value)}`;
    // The yaml library attaches the comment above a map's first key to the map itself.
    const comment = [index === 0 ? map.commentBefore : undefined, commentOf(pair)]
      .filter((text) => text !== undefined && text !== null)
      .join('\n');
    const docs = parseDocComment(comment);
    if (docs !== undefined) {
      rows.push({
        key,
        type: typeOf(pair.value),
        default: docs.default ?? `\`${JSON.stringify(plainValue(pair))}\``,
        description: docs.description,
      });
    } else if (isMap(pair.value) && pair.value.items.length > 0) {
      collectRows(pair.value, `${key}.`, rows);
    } else {
      throw new Error(`values.yaml: ${key} has no "# --" description`);
    }
  });
}

function commentOf(pair: Pair): string | undefined {
  return (pair.key as { commentBefore?: string | null }).commentBefore ?? undefined;
}

/** The description and `@default` of the last `# --` block of a comment, if there is one. */
function parseDocComment(comment: string): { description: string; default?: string } | undefined {
  const lines = comment.split('\n').map((line) => line.trim());
  const start = lines.findLastIndex((line) => line.startsWith('-- '));
  if (start === -1) return undefined;
  const description: string[] = [];
  let shownDefault: string | undefined;
  for (const line of lines.slice(start)) {
    const override = /^@default -- (.*)$/.exec(line);
    if (override) shownDefault = override[1];
    else description.push(line.replace(/^-- /, ''));
  }
  return {
    description: description.join(' ').trim(),
    ...(shownDefault === undefined ? {} : { default: shownDefault }),
  };
}

function plainValue(pair: Pair): unknown {
  return (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
}

/** helm-docs' type names. */
function typeOf(node: unknown): string {
  if (isMap(node)) return 'object';
  if (!isScalar(node)) return 'list';
  const value = node.value;
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'string';
}

/** Markdown table of the rows, as helm-docs' `chart.valuesTable` lays it out. */
export function valuesTable(rows: readonly ValueRow[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| Key | Type | Default | Description |',
    '|-----|------|---------|-------------|',
    ...rows.map(
      (row) => `| ${row.key} | ${row.type} | ${cell(row.default)} | ${cell(row.description)} |`,
    ),
  ].join('\n');
}

/** The chart README: README.md.gotmpl with its helm-docs templates filled in. */
export function renderChartReadme(chartDir = CHART_DIR): string {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as {
    name: string;
    description: string;
    version: string;
    appVersion: string;
    kubeVersion?: string;
  };
  const rows = documentedValues(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
  // The texts helm-docs gives these templates, so that it would write the same README.
  const templates: Record<string, string> = {
    'chart.header': `# ${chart.name}\n`,
    'chart.description': chart.description,
    'chart.versionLine': `Current chart version is \`${chart.version}\``,
    'chart.appVersionLine': `Current chart appVersion is \`${chart.appVersion}\``,
    'chart.kubeVersionLine':
      chart.kubeVersion === undefined ? '' : `Kubernetes: \`${chart.kubeVersion}\``,
    'chart.valuesHeader': '## Values',
    'chart.valuesTable': valuesTable(rows),
  };
  const template = readFileSync(join(chartDir, 'README.md.gotmpl'), 'utf8');
  return template.replace(/\{\{ template "([\w.]+)" \. \}\}/g, (_, name: string) => {
    const text = templates[name];
    if (text === undefined)
      throw new Error(
        `README.md.gotmpl: unknown template ${name} (known: ${Object.keys(templates).join(', ')})`,
      );
    return text;
  });
}

if (import.meta.main) {
  const target = join(CHART_DIR, 'README.md');
  const rendered = renderChartReadme();
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== rendered) {
      process.stderr.write(`${target} is stale: run npm run chart-readme\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, rendered);
  }
}
