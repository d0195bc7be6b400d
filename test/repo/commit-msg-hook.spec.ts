import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOOK = join(import.meta.dirname, '..', '..', 'scripts', 'git-hooks', 'commit-msg');

describe('repo: the commit-msg hook (CONTRIBUTING, "Commits and changes")', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecr-refresh-commit-msg-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function check(message: string): { status: number | null; stderr: string } {
    const file = join(dir, 'COMMIT_EDITMSG');
    writeFileSync(file, message);
    const run = spawnSync('bash', [HOOK, file], { encoding: 'utf8' });
    return { status: run.status, stderr: run.stderr };
  }

  it('accepts a subject of 72 bytes, a blank line and a body, ignoring git comment lines', () => {
    const run = check(`${'k'.repeat(72)}\n\nWhy it changed.\n# Please enter the commit message\n`);
    assert.equal(run.status, 0, run.stderr);
  });

  it('refuses a subject of 73 bytes, saying how long it is', () => {
    const run = check(`${'k'.repeat(73)}\n\nWhy it changed.\n`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /the subject is 73 bytes; keep it to 72 or fewer/);
  });

  it('counts bytes, not characters: an ellipsis costs three', () => {
    const run = check(`${'k'.repeat(70)}\u2026\n\nWhy it changed.\n`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /73 bytes/);
  });

  it("accepts git's own merge message, which has no body", () => {
    const run = check(
      "Merge branch 'chart'\n# Please enter a commit message to explain why this merge is necessary\n",
    );
    assert.equal(run.status, 0, run.stderr);
  });

  for (const [name, message] of [
    ['a subject alone', 'k8s: fix the watch\n'],
    ['a body glued to the subject', 'k8s: fix the watch\nWhy it changed.\n'],
  ] as const) {
    it(`refuses ${name}, asking for a blank line and a body`, () => {
      const run = check(message);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /blank line after the subject, then a body/);
    });
  }
});
