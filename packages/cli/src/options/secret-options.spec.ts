import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@ecr-refresh/core';
import { loadConfigFile } from './config-file.ts';
import { secretSinkOptionsOf } from './secret-options.ts';

describe('cli/options/secret-options', () => {
  it('reads repeated key=value flags; labels also comma-separated, annotations also one per line, their commas kept', () => {
    const options = secretSinkOptionsOf({
      secretLabel: ['team=payments,tier=web', 'empty='],
      secretAnnotation: [
        'argocd.argoproj.io/sync-options=Prune=false,Delete=false\nnote= spaced, text ',
      ],
      events: false,
    });
    assert.deepEqual(options, {
      secretLabels: { team: 'payments', tier: 'web', empty: '' },
      secretAnnotations: {
        'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
        note: ' spaced, text ',
      },
      events: false,
    });
  });

  it('reports every entry that is not key=value, and a key given twice with two values, naming the flag', () => {
    assert.throws(
      () =>
        secretSinkOptionsOf({
          secretLabel: ['team', 'a=1', 'a=2', 'a=2'],
          secretAnnotation: ['=x'],
          events: true,
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'secret-label: "team" is not key=value (for example team=payments)',
          'secret-label: "a" is given twice, with "1" and "2"',
          'secret-annotation: "=x" is not key=value (for example team=payments)',
        ]);
        return true;
      },
    );
  });

  describe('in the config file', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-secret-options-'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it('takes secretLabels and secretAnnotations as maps (YAML scalars as their text), beside the flag names', async () => {
      const path = join(dir, 'config.yaml');
      await writeFile(
        path,
        'secret-labels:\n  team: payments\n  replicas: 3\nsecretAnnotations:\n  argocd.argoproj.io/compare-options: IgnoreExtraneous\nsecretLabel: tier=web\nevents: false\n',
      );
      const args = loadConfigFile(path);
      assert.deepEqual(args, {
        secretLabel: ['team=payments', 'replicas=3', 'tier=web'],
        secretAnnotation: ['argocd.argoproj.io/compare-options=IgnoreExtraneous'],
        events: false,
      });
      assert.deepEqual(secretSinkOptionsOf(args as never).secretLabels, {
        team: 'payments',
        replicas: '3',
        tier: 'web',
      });
    });

    it('refuses a map that is not one, and a value with a newline, naming the file and the key', async () => {
      const path = join(dir, 'bad.yaml');
      await writeFile(path, 'secretLabels: [team=payments]\n');
      assert.throws(() => loadConfigFile(path), /config: .*bad\.yaml: secretLabels: /);
      await writeFile(path, 'secretAnnotations:\n  note: |\n    two\n    lines\n');
      assert.throws(
        () => loadConfigFile(path),
        /config: .*bad\.yaml: secretAnnotations\.note: a value cannot hold a newline/,
      );
    });
  });
});
