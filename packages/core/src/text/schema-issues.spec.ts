import assert from 'node:assert/strict';
import * as z from 'zod';
import { describeSchemaIssues, schemaProblems, type IssuePlaces } from './schema-issues.ts';

const Options = z.strictObject({
  secretName: z.string().regex(/^[a-z0-9-]+$/, 'is not a DNS subdomain name'),
  namespaces: z.array(z.string().min(1, 'must not be empty')).optional(),
  timeoutMs: z.number().int().positive().optional(),
});

function issuesOf(input: unknown) {
  const parsed = Options.safeParse(input);
  assert.ok(!parsed.success, 'the input must be invalid');
  return parsed.error.issues;
}

describe('core/text/schema-issues', () => {
  describe(describeSchemaIssues.name, () => {
    const cases: Array<{ name: string; input: unknown; places?: IssuePlaces; expected: string[] }> =
      [
        {
          name: 'names the key at fault and says what is expected there',
          input: { secretName: 'Bad_Name' },
          expected: ['secretName: is not a DNS subdomain name'],
        },
        {
          name: 'joins a nested path with dots, array indexes included',
          input: { secretName: 'ok', namespaces: ['team-a', ''] },
          expected: ['namespaces.1: must not be empty'],
        },
        {
          name: 'reports every issue at once, in the order of the schema',
          input: { secretName: 'Bad_Name', timeoutMs: -1 },
          expected: [
            'secretName: is not a DNS subdomain name',
            'timeoutMs: Too small: expected number to be >0',
          ],
        },
        {
          name: 'names the whole input "(top level)" by default',
          input: 'not an object',
          expected: ['(top level): Invalid input: expected object, received string'],
        },
        {
          name: 'names the input it belongs to with a prefix, the root too',
          input: null,
          places: { prefix: 'rancher2.', root: '(options)' },
          expected: ['rancher2.(options): Invalid input: expected object, received null'],
        },
        {
          name: 'quotes a string value given, when the input is passed',
          input: { secretName: 'Bad_Name\nforged line' },
          places: { prefix: 'k8s.', input: { secretName: 'Bad_Name\nforged line' } },
          expected: ['k8s.secretName: "Bad_Name\\nforged line" is not a DNS subdomain name'],
        },
        {
          name: 'names a path as told (the CLI names flags)',
          input: { secretName: 'ok', timeoutMs: 1.5 },
          places: {
            name: (path) =>
              `--${String(path[0]).replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`,
          },
          expected: ['--timeout-ms: Invalid input: expected int, received number'],
        },
        {
          name: 'names an unknown key, so a typo is caught',
          input: { secretName: 'ok', secretname: 'ok' },
          places: { prefix: 'config: /etc/ecr-refresh.yaml: ' },
          expected: ['config: /etc/ecr-refresh.yaml: (top level): Unrecognized key: "secretname"'],
        },
      ];
    for (const c of cases) {
      it(c.name, () => {
        assert.deepEqual(describeSchemaIssues(issuesOf(c.input), c.places), c.expected);
      });
    }

    it('never quotes a value when the input is not passed', () => {
      const [line] = describeSchemaIssues(issuesOf({ secretName: 'Secret_Value_0123' }));
      assert.doesNotMatch(line ?? '', /Secret_Value_0123/);
    });
  });

  describe(schemaProblems.name, () => {
    it('gives each issue as a validation problem: path and message apart', () => {
      assert.deepEqual(
        schemaProblems(issuesOf({ secretName: 'ok', namespaces: [''] }), { root: '(options)' }),
        [{ path: 'namespaces.0', message: 'must not be empty' }],
      );
    });
  });
});
