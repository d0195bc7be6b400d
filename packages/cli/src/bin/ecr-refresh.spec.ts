import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built bundle, as users run it (`npm run build` makes it).
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'bundle', 'ecr-refresh.js');
const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 15_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cli/bin (built bundle)', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ecr-refresh-bin-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('keeps its compile cache in the user cache directory: $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(run(['--version'], { HOME: home }).status, 0);
    assert.ok(readdirSync(join(home, '.cache', 'ecr-refresh', 'compile-cache')).length > 0);
    const xdg = join(home, 'xdg');
    assert.equal(run(['--version'], { HOME: home, XDG_CACHE_HOME: xdg }).status, 0);
    assert.ok(existsSync(join(xdg, 'ecr-refresh', 'compile-cache')));
  });

  it('runs on where its cache directory cannot be made, and never tries one under /proc', () => {
    assert.equal(run(['--version'], { HOME: '/dev/null' }).stdout, `${VERSION}\n`);
    // Node 26 loops forever creating a directory under /proc: the run would time out.
    assert.equal(run(['--version'], { HOME: '/proc/self' }).stdout, `${VERSION}\n`);
  });
});
