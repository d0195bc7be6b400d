import assert from 'node:assert/strict';
import { chmodSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { codeCacheDirectory, openCodeCache, profileOf } from './code-cache.ts';

// A chunk with a function that only runs when called, as most of a real chunk's functions do.
const SOURCE = '(function (exports) { exports.answer = function answer() { return [1, 2, 3].map((n) => n * 14).at(2) / 3; }; })';

function runChunk(cache: ReturnType<typeof openCodeCache>, chunkPath: string, source = SOURCE): { answer: number; rejected: boolean | undefined } {
  const script = cache.compile(chunkPath, source);
  const exports: { answer?: () => number } = {};
  (script.runInThisContext() as (exports: object) => void)(exports);
  return { answer: exports.answer?.() ?? Number.NaN, rejected: script.cachedDataRejected };
}

describe('cli/bin/code-cache', () => {
  let home: string;
  let chunkPath: string;
  let env: NodeJS.ProcessEnv;
  /** The name of the entry of `chunk` (in `home`) for `profile`. */
  let entryName: (chunk: string, profile: string) => string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ecr-refresh-code-cache-'));
    const installation = crc32(Buffer.from(home, 'utf8')).toString(16).padStart(8, '0');
    entryName = (chunk, profile) => `${chunk}.${profile}.${installation}.bin`;
    chunkPath = join(home, 'core.cjs');
    writeFileSync(chunkPath, SOURCE);
    env = { HOME: home };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** One run of the CLI in short: opens the cache for `profile`, runs the chunk, persists what the run compiled. */
  function runOnce(profile: string, options: { environment?: NodeJS.ProcessEnv; path?: string; source?: string } = {}): ReturnType<typeof runChunk> {
    const cache = openCodeCache([profile], options.environment ?? env);
    const result = runChunk(cache, options.path ?? chunkPath, options.source);
    cache.persist();
    return result;
  }

  // That V8 takes the data is proved across processes, in ecr-refresh.spec.ts: within one process,
  // V8's in-memory compilation cache answers first for a source it has seen.
  it('writes a cache after the run, private to the user, and hands it to V8 next time', () => {
    assert.deepEqual(runOnce('docker-config'), { answer: 14, rejected: undefined });
    const directory = join(home, '.cache', 'ecr-refresh', 'code-cache');
    assert.deepEqual(readdirSync(directory), [entryName('core', 'docker-config')]);
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    assert.equal(statSync(join(directory, entryName('core', 'docker-config'))).mode & 0o777, 0o600);

    const second = openCodeCache(['docker-config'], env);
    assert.deepEqual(runChunk(second, chunkPath), { answer: 14, rejected: false });
  });

  it('keeps an accepted cache as it is, and keeps one cache per subcommand', () => {
    runOnce('k8s');
    const entry = join(home, '.cache', 'ecr-refresh', 'code-cache', entryName('core', 'k8s'));
    const written = readFileSync(entry);
    utimesSync(entry, new Date(0), new Date(0));
    runOnce('k8s');
    assert.equal(statSync(entry).mtimeMs, 0);
    assert.deepEqual(readFileSync(entry), written);
    const other = openCodeCache(['token'], env);
    assert.equal(runChunk(other, chunkPath).rejected, undefined);
  });

  it('ignores and replaces a cache of another build of the chunk', () => {
    runOnce('token');
    const entry = join(home, '.cache', 'ecr-refresh', 'code-cache', entryName('core', 'token'));
    const written = readFileSync(entry);
    // Same length, other code: V8 alone would take the old cache (it checks the source's length only).
    const rebuilt = SOURCE.replace('* 14', '* 15');
    writeFileSync(chunkPath, rebuilt);
    utimesSync(chunkPath, new Date(), new Date(Date.now() + 5_000));
    assert.deepEqual(runOnce('token', { source: rebuilt }), { answer: 15, rejected: undefined });
    assert.notDeepEqual(readFileSync(entry), written);
    assert.equal(runChunk(openCodeCache(['token'], env), chunkPath, rebuilt).rejected, false);
  });

  it('deletes entries untouched for 30 days when it writes one, and no others', () => {
    const directory = join(home, '.cache', 'ecr-refresh', 'code-cache');
    runOnce('k8s');
    const month = 30 * 24 * 3_600_000;
    const stale = join(directory, entryName('chunk-OLDBUILD', 'k8s'));
    const recent = join(directory, entryName('chunk-LASTWEEK', 'k8s'));
    const notOurs = join(directory, 'notes.txt');
    for (const file of [stale, recent, notOurs]) writeFileSync(file, 'x');
    utimesSync(stale, new Date(), new Date(Date.now() - month - 60_000));
    utimesSync(recent, new Date(), new Date(Date.now() - month / 4));
    utimesSync(notOurs, new Date(), new Date(Date.now() - 2 * month));
    runOnce('token');
    assert.deepEqual(readdirSync(directory).sort(), [entryName('chunk-LASTWEEK', 'k8s'), entryName('core', 'k8s'), entryName('core', 'token'), 'notes.txt'].sort());
  });

  it('uses only entries that are the user\'s own: not one others may write, not a symbolic link', () => {
    const directory = join(home, '.cache', 'ecr-refresh', 'code-cache');
    runOnce('token');
    const entry = join(directory, entryName('core', 'token'));
    chmodSync(entry, 0o666);
    assert.equal(runOnce('token').rejected, undefined);
    assert.equal(statSync(entry).mode & 0o777, 0o600);

    renameSync(entry, join(home, 'elsewhere.bin'));
    symlinkSync(join(home, 'elsewhere.bin'), entry);
    assert.equal(runChunk(openCodeCache(['token'], env), chunkPath).rejected, undefined);
  });

  it('does not use an entry whose data was damaged, and replaces it', () => {
    runOnce('token');
    const entry = join(home, '.cache', 'ecr-refresh', 'code-cache', entryName('core', 'token'));
    const content = readFileSync(entry);
    content.fill(0xff, content.length - 64, content.length - 56);
    writeFileSync(entry, content);
    assert.equal(runOnce('token').rejected, undefined);
    assert.notDeepEqual(readFileSync(entry), content);
  });

  it('writes and deletes nothing through a cache directory that is a symbolic link, or in a parent others may write', () => {
    const elsewhere = join(home, 'elsewhere');
    mkdirSync(elsewhere);
    const precious = join(elsewhere, 'firmware.x.0123abcd.bin');
    writeFileSync(precious, 'keep me');
    utimesSync(precious, new Date(0), new Date(0));
    mkdirSync(join(home, '.cache', 'ecr-refresh'), { recursive: true });
    symlinkSync(elsewhere, join(home, '.cache', 'ecr-refresh', 'code-cache'));
    runOnce('token');
    assert.deepEqual(readdirSync(elsewhere), ['firmware.x.0123abcd.bin']);

    const shared = join(home, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    runOnce('token', { environment: { NODE_COMPILE_CACHE: shared } });
    assert.deepEqual(readdirSync(join(shared, 'ecr-refresh')), []);
  });

  it('ignores a cache of a chunk edited in place, even with its size and modification time kept', () => {
    runOnce('token');
    const { mtime } = statSync(chunkPath);
    const edited = SOURCE.replace('* 14', '* 16');
    writeFileSync(chunkPath, edited);
    utimesSync(chunkPath, mtime, mtime);
    assert.deepEqual(runChunk(openCodeCache(['token'], env), chunkPath, edited), { answer: 16, rejected: undefined });
  });

  it('writes into a parent its group may write when the group is the user\'s own (umask 002)', () => {
    const parent = join(home, 'node-cache');
    mkdirSync(parent);
    chmodSync(parent, 0o775);
    runOnce('token', { environment: { NODE_COMPILE_CACHE: parent } });
    assert.deepEqual(readdirSync(join(parent, 'ecr-refresh')), [entryName('core', 'token')]);
  });

  it('writes and deletes nothing when a directory further up is a link another user planted', () => {
    const victim = join(home, 'documents');
    mkdirSync(join(victim, 'b', 'ecr-refresh'), { recursive: true });
    const old = join(victim, 'b', 'ecr-refresh', 'thesis.v1.0123abcd.bin');
    writeFileSync(old, 'keep me');
    utimesSync(old, new Date(0), new Date(0));
    const shared = join(home, 'shared');
    mkdirSync(shared);
    symlinkSync(victim, join(shared, 'a'));
    lchownSync(join(shared, 'a'), 1234, 1234);
    runOnce('token', { environment: { NODE_COMPILE_CACHE: join(shared, 'a', 'b') } });
    assert.deepEqual(readdirSync(join(victim, 'b', 'ecr-refresh')), ['thesis.v1.0123abcd.bin']);
  });

  it('writes nothing into a directory others may write', () => {
    const directory = join(home, '.cache', 'ecr-refresh', 'code-cache');
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o777);
    runOnce('token');
    assert.deepEqual(readdirSync(directory), []);
  });

  it('keeps one entry per installation, so two installations of one build do not replace each other\'s', () => {
    const other = join(home, 'other-install');
    mkdirSync(other);
    const otherChunk = join(other, 'core.cjs');
    writeFileSync(otherChunk, SOURCE);
    for (const path of [chunkPath, otherChunk]) runOnce('token', { path });
    const directory = join(home, '.cache', 'ecr-refresh', 'code-cache');
    assert.equal(readdirSync(directory).filter((name) => name.startsWith('core.token.')).length, 2);
    const again = readFileSync(join(directory, entryName('core', 'token')));
    runOnce('token');
    assert.deepEqual(readFileSync(join(directory, entryName('core', 'token'))), again);
  });

  it('changes nothing but the speed where the cache cannot be written', () => {
    writeFileSync(join(home, '.cache'), 'a file where the directory would go');
    const cache = openCodeCache(['token'], env);
    assert.equal(runChunk(cache, chunkPath).answer, 14);
    assert.doesNotThrow(() => cache.persist());
  });

  it('finds its directory under NODE_COMPILE_CACHE, XDG_CACHE_HOME or HOME, absolute paths only, never under /proc', () => {
    assert.equal(codeCacheDirectory({ NODE_COMPILE_CACHE: '/var/cache/node', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/var/cache/node/ecr-refresh');
    assert.equal(codeCacheDirectory({ NODE_COMPILE_CACHE: 'relative', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/ecr-refresh/code-cache');
    assert.equal(codeCacheDirectory({ XDG_CACHE_HOME: 'relative', HOME: '/h' }), '/h/.cache/ecr-refresh/code-cache');
    assert.equal(codeCacheDirectory({ HOME: '/h', NODE_DISABLE_COMPILE_CACHE: '1' }), undefined);
    assert.equal(codeCacheDirectory({ HOME: '/proc/self' }), undefined);
    assert.equal(codeCacheDirectory({}), undefined);
  });

  it('names a profile after a subcommand only when one comes first, so no other argument names a file', () => {
    assert.equal(profileOf(['docker-config', '-r', '123456789012:eu-west-1']), 'docker-config');
    assert.equal(profileOf(['k8s', '--help']), 'k8s.help');
    assert.equal(profileOf(['--version']), 'none.help');
    assert.equal(profileOf([]), 'none');
    assert.equal(profileOf(['--secret-key', 'wJalrXUtnFEMIK7MDENG', 'rancher1']), 'none');
    assert.equal(profileOf(['wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY']), 'none');
    assert.equal(profileOf(['../../etc/passwd']), 'none');
    // yargs answers --help with status 0 whatever comes first: that argument still names nothing.
    assert.equal(profileOf(['s3cr3t-token', '--help']), 'none.help');
  });
});
