import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built bundle, as users run it (`npm run build` makes it).
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'bundle', 'ecr-refresh.js');
const BAKE = join(import.meta.dirname, '..', '..', 'scripts', 'bake-compile-cache.ts');
const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

function run(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The bundle's files Node's compile cache served from a cache entry, as NODE_DEBUG_NATIVE=COMPILE_CACHE reports them. */
const cacheHits = (stderr: string): string[] =>
  [...stderr.matchAll(/V8 code cache for ESM file:\/\/\S+\/([\w.-]+\.js) was accepted/g)].map(
    (match) => match[1] ?? '',
  );
/** The bundle's files Node looked up in its compile cache, hit or not. */
const cacheLookups = (stderr: string): string[] =>
  [...stderr.matchAll(/reading cache from \S+ for ESM file:\/\/\S+\/([\w.-]+\.js)\.\.\./g)].map(
    (match) => match[1] ?? '',
  );
/** Every file below `directory` with its size and modification time. */
const listing = (directory: string): string[] =>
  readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map(
      (file) =>
        `${file} ${statSync(join(directory, file)).size} ${statSync(join(directory, file)).mtimeMs}`,
    )
    .sort();

describe('cli/bin (built bundle)', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ecr-refresh-bin-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const compileCache = (base: string) => join(base, 'ecr-refresh', 'compile-cache');

  it("keeps Node's compile cache in the user cache directory: $XDG_CACHE_HOME, else ~/.cache; $NODE_COMPILE_CACHE wins", () => {
    assert.equal(run(['--version'], { HOME: home }).status, 0);
    assert.ok(readdirSync(compileCache(join(home, '.cache'))).length > 0);
    const xdg = join(home, 'xdg');
    assert.equal(run(['--version'], { HOME: home, XDG_CACHE_HOME: xdg }).status, 0);
    assert.ok(readdirSync(compileCache(xdg)).length > 0);
    const nodeCache = join(home, 'node-cache');
    assert.equal(
      run(['--version'], { HOME: join(home, 'unused'), NODE_COMPILE_CACHE: nodeCache }).status,
      0,
    );
    assert.ok(readdirSync(nodeCache).length > 0);
    assert.equal(existsSync(join(home, 'unused')), false);
    assert.equal(
      run(['--version'], { HOME: join(home, 'off'), NODE_DISABLE_COMPILE_CACHE: '1' }).status,
      0,
    );
    assert.equal(existsSync(compileCache(join(home, 'off', '.cache'))), false);
  });

  it('compiles the CLI from the cache from the second run on', () => {
    const env = { HOME: home, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    const first = run(['--help'], env);
    assert.equal(first.status, 0);
    assert.deepEqual(cacheHits(first.stderr), []);
    const second = run(['--help'], env);
    assert.equal(second.status, 0);
    assert.ok(
      cacheHits(second.stderr).some((file) => file.startsWith('main-')),
      second.stderr,
    );
  });

  it('runs every file it loads from a cache baked by scripts/bake-compile-cache.ts, read-only, and writes nothing there (as in the image)', () => {
    const baked = join(home, 'baked');
    const bake = spawnSync(process.execPath, [BAKE, join(BIN, '..'), baked], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(bake.status, 0, bake.stderr);
    const before = listing(baked);
    const env = {
      HOME: join(home, 'unused'),
      NODE_COMPILE_CACHE: baked,
      NODE_COMPILE_CACHE_READONLY: '1',
      NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
    };
    // --help loads the CLI; a refused registry loads the docker-config command's chunks too.
    for (const [args, status] of [
      [['--help'], 0],
      [['docker-config', '--registry', 'not-a-registry'], 64],
    ] as const) {
      const result = run([...args], env);
      assert.equal(result.status, status, result.stderr);
      const lookups = cacheLookups(result.stderr);
      assert.ok(
        lookups.includes('ecr-refresh.js') && lookups.some((file) => file.startsWith('main-')),
        result.stderr,
      );
      assert.deepEqual(cacheHits(result.stderr), lookups);
    }
    assert.deepEqual(listing(baked), before);
    assert.equal(existsSync(join(home, 'unused')), false);
  });

  it('runs on where its cache directory cannot be made, and never tries one under /proc', () => {
    assert.equal(run(['--version'], { HOME: '/dev/null' }).stdout, `${VERSION}\n`);
    // Node 26 loops forever creating a directory under /proc: the run would time out.
    assert.equal(run(['--version'], { HOME: '/proc/self' }).stdout, `${VERSION}\n`);
  });

  it('says in one line that it needs Node.js 22 and exits 64 on an older Node, whatever the command', function () {
    // The launcher's first import checks the version, before anything that would fail on old Node.
    const OLD_NODE = '/usr/bin/node';
    const version = existsSync(OLD_NODE)
      ? spawnSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
      : undefined;
    if (version === undefined || !(Number.parseInt(version, 10) < 22)) {
      process.stderr.write(
        `old-Node test skipped: ${version === undefined ? `${OLD_NODE} is missing` : `${OLD_NODE} is Node.js ${version}, not older than 22`}\n`,
      );
      this.skip();
    }
    for (const args of [
      ['--version'],
      ['--help'],
      [
        'docker-config',
        '-r',
        '123456789012:eu-west-1',
        '--docker-config',
        join(home, 'config.json'),
      ],
    ]) {
      const result = spawnSync(OLD_NODE, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: home },
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.deepEqual(
        { status: result.status, stdout: result.stdout, stderr: result.stderr },
        {
          status: 64,
          stdout: '',
          stderr: `ecr-refresh needs Node.js 22 or newer; this is ${version} (${OLD_NODE})\n`,
        },
      );
    }
    assert.equal(existsSync(join(home, 'config.json')), false);
  });

  it('ships linked source maps beside the chunks and runs under --enable-source-maps, which maps stack traces to the sources', () => {
    assert.ok(readdirSync(join(BIN, '..')).some((file) => /^main-\w+\.js\.map$/.test(file)));
    const result = spawnSync(process.execPath, ['--enable-source-maps', BIN, '--version'], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.deepEqual([result.status, result.stdout], [0, `${VERSION}\n`]);
  });
});
