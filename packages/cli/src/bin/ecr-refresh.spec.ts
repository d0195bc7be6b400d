import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  const cacheOf = (base: string) => join(base, 'ecr-refresh', 'code-cache');
  /** The entries a `--version` run leaves: the CLI's own chunk and those it requires, each named after its chunk. */
  const versionEntries = (directory: string) => {
    const entries = readdirSync(directory);
    assert.ok(entries.some((entry) => /^cli-[A-Z0-9]+\.none\.help\.[0-9a-f]{8}\.bin$/.test(entry)), entries.join(', '));
    assert.ok(entries.every((entry) => /^(cli|chunk)-[A-Z0-9]+\.none\.help\.[0-9a-f]{8}\.bin$/.test(entry)), entries.join(', '));
    return entries;
  };

  it('keeps its code cache in the user cache directory: $NODE_COMPILE_CACHE, else $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(run(['--version'], { HOME: home }).status, 0);
    versionEntries(cacheOf(join(home, '.cache')));
    const xdg = join(home, 'xdg');
    assert.equal(run(['--version'], { HOME: home, XDG_CACHE_HOME: xdg }).status, 0);
    versionEntries(cacheOf(xdg));
    const nodeCache = join(home, 'node-cache');
    assert.equal(run(['--help'], { HOME: home, NODE_COMPILE_CACHE: nodeCache }).status, 0);
    versionEntries(join(nodeCache, 'ecr-refresh'));
    assert.equal(run(['--help'], { HOME: join(home, 'off'), NODE_DISABLE_COMPILE_CACHE: '1' }).status, 0);
    assert.equal(existsSync(join(home, 'off')), false);
  });

  it('uses its code cache from the next run on, and replaces a damaged one', () => {
    const env = { HOME: home, NODE_DEBUG: 'ecr-refresh' };
    assert.match(run(['--version'], env).stderr, /cli-\w+\.none\.help\.[0-9a-f]{8}\.bin: none[\s\S]*cli-\w+\.none\.help\.[0-9a-f]{8}\.bin: written/);
    const entries = versionEntries(cacheOf(join(home, '.cache')));
    const second = run(['--version'], env);
    assert.equal(second.stdout, `${VERSION}\n`);
    assert.deepEqual(second.stderr.match(/(?<=code cache \S+: ).+/g), entries.map(() => 'used'));

    // Bytes flipped inside V8's data, the length kept: V8 itself would run it (and crash).
    const entry = join(cacheOf(join(home, '.cache')), entries.find((name) => name.startsWith('cli-')) ?? '');
    const content = readFileSync(entry);
    content.fill(0xff, content.length - 5000, content.length - 4992);
    writeFileSync(entry, content);
    const damaged = run(['--version'], env);
    assert.deepEqual([damaged.status, damaged.stdout], [0, `${VERSION}\n`]);
    assert.match(damaged.stderr, /cli-\w+\.none\.help\.[0-9a-f]{8}\.bin: not used: damaged[\s\S]*cli-\w+\.none\.help\.[0-9a-f]{8}\.bin: written/);
    assert.match(run(['--version'], env).stderr, /cli-\w+\.none\.help\.[0-9a-f]{8}\.bin: used/);
  });

  it('runs through Node\'s own loader under --enable-source-maps, which maps stack traces (a vm Script\'s are not), without the code cache', () => {
    const result = spawnSync(process.execPath, ['--enable-source-maps', BIN, '--version'], { env: { PATH: process.env.PATH ?? '', HOME: home, NODE_DEBUG: 'ecr-refresh' }, encoding: 'utf8', timeout: 15_000 });
    assert.deepEqual([result.status, result.stdout], [0, `${VERSION}\n`]);
    assert.doesNotMatch(result.stderr, /code cache/);
    assert.equal(existsSync(cacheOf(join(home, '.cache'))), false);
  });

  it('writes no code cache after a run that failed, so a bad first run leaves nothing behind', () => {
    assert.equal(run(['no-such-command'], { HOME: home }).status, 64);
    assert.equal(run(['docker-config', '--registry', 'not-a-registry'], { HOME: home }).status, 64);
    assert.equal(existsSync(cacheOf(join(home, '.cache'))), false);
  });

  it('runs on where its cache directory cannot be made, and never tries one under /proc', () => {
    assert.equal(run(['--version'], { HOME: '/dev/null' }).stdout, `${VERSION}\n`);
    // Node 26 loops forever creating a directory under /proc: the run would time out.
    assert.equal(run(['--version'], { HOME: '/proc/self' }).stdout, `${VERSION}\n`);
  });
});
