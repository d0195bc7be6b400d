import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';
import { COMMAND_NAMES } from '../commands/names.ts';

// NODE_DEBUG=ecr-refresh shows what the cache did: why a start was slow, or that it was not.
const debug = debuglog('ecr-refresh');

/**
 * V8 code caches of the bundle's chunks, one file per chunk and profile (the subcommand: which
 * functions a run compiles depends on it). A cache is written when a run ends with status 0, so it
 * holds every function that run compiled, lazily compiled ones included (Node's own compile cache
 * is written before a module runs and misses them), and only when the chunk had none or V8 refused
 * it. Later runs deserialize instead of compiling.
 *
 * A cache belongs to one build of its chunk and one Node; any other is ignored and replaced. V8
 * checks its own version and flags but not the source, only its length: chunk names carry a hash
 * of their content (scripts/bundle.ts), and an entry's key adds the chunk's path, size, times
 * and inode. Names change with every build, so writing also deletes entries untouched for
 * 30 days: the directory holds a month of upgrades at most, and a cache in use is rewritten once a
 * month. Caching only ever changes the speed: an unreadable or unwritable cache is skipped silently.
 *
 * Cached code runs as the user, so only the user's own files count: an entry is read through a
 * descriptor (no symbolic link followed) and used only when the user owns it and nobody else may
 * write it; entries are written (and old ones deleted) only in a directory that only the user can
 * put files in (see makePrivateDirectory).
 * A cache directory in a shared place (NODE_COMPILE_CACHE=/tmp/...) cannot be planted with code.
 * V8 does not verify its data (a damaged cache can crash it), so an entry carries a CRC-32 of it;
 * where Node lacks process.getBuiltinModule or zlib.crc32 (before 22.3) nothing is cached.
 */
export interface CodeCache {
  /** Compiles `source`, the chunk at `chunkPath`, with the chunk's cache when one matches. */
  compile(chunkPath: string, source: string): Script;
  /** Writes a cache for every chunk compiled without one or whose cache V8 refused. */
  persist(): void;
}

interface Compiled {
  readonly entry: string;
  readonly key: Buffer;
  readonly script: Script;
}

/** The cache for a run with these arguments; one that only compiles where there is no cache directory. */
export function openCodeCache(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CodeCache {
  const directory = codeCacheDirectory(env);
  const crc32 = process.getBuiltinModule?.('node:zlib').crc32;
  if (directory === undefined || crc32 === undefined) return { compile: (chunkPath, source) => new Script(source, { filename: chunkPath }), persist: () => undefined };
  const profile = profileOf(argv);
  const uncached: Compiled[] = [];
  return {
    compile(chunkPath, source) {
      const key = keyOf(chunkPath);
      const entry = join(directory, `${basename(chunkPath).replace(/\.cjs$/, '')}.${profile}.${installationOf(chunkPath, crc32)}.bin`);
      const cachedData = key === undefined ? undefined : readEntry(entry, key, crc32);
      const script = new Script(source, { filename: chunkPath, cachedData });
      debug('code cache %s: %s', entry, cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'refused by V8' : 'used');
      if (key !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) uncached.push({ entry, key, script });
      return script;
    },
    persist() {
      if (uncached.length === 0) return;
      try {
        if (!makePrivateDirectory(directory)) return;
        deleteEntriesOlderThan(directory, Date.now() - ENTRY_LIFETIME_MS);
        for (const { entry, key, script } of uncached.splice(0)) writeEntry(entry, key, script.createCachedData(), crc32);
      } catch (error) {
        debug('code cache %s: not written: %s', directory, (error as Error).message);
      }
    },
  };
}

/**
 * `$NODE_COMPILE_CACHE/ecr-refresh` when Node is told where compiled code goes (the image sets
 * it), else `$XDG_CACHE_HOME/ecr-refresh/code-cache`, else `$HOME/.cache/ecr-refresh/code-cache`;
 * only absolute paths count, as the XDG spec says. None with NODE_DISABLE_COMPILE_CACHE=1, without
 * any of them, or under /proc (where Node 26 loops forever creating a directory).
 */
export function codeCacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const { NODE_COMPILE_CACHE: nodeCache, XDG_CACHE_HOME: xdgCache, HOME: home } = env;
  if (env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  const directory =
    nodeCache !== undefined && isAbsolute(nodeCache)
      ? join(nodeCache, 'ecr-refresh')
      : xdgCache !== undefined && isAbsolute(xdgCache)
        ? join(xdgCache, 'ecr-refresh', 'code-cache')
        : home !== undefined && isAbsolute(home)
          ? join(home, '.cache', 'ecr-refresh', 'code-cache')
          : undefined;
  return directory === undefined || directory.startsWith('/proc/') ? undefined : directory;
}

/**
 * The subcommand when it comes first, as usual, else `none`: only a command's name ever names a
 * file, never another argument (which may be a secret). Marked when help or the version is asked
 * for, whose runs compile other functions.
 */
export function profileOf(argv: readonly string[], commandNames: readonly string[] = COMMAND_NAMES): string {
  const command = commandNames.includes(argv[0] ?? '') ? (argv[0] ?? 'none') : 'none';
  const onlyAsking = argv.some((arg) => arg === '--help' || arg === '-h' || arg === '--version');
  return onlyAsking ? `${command}.help` : command;
}

const ENTRY_LIFETIME_MS = 30 * 24 * 3_600_000;

/** What a cache entry must start with to be used for the chunk at `chunkPath`. */
function keyOf(chunkPath: string): Buffer | undefined {
  try {
    // ctime and the inode change with any write or replacement, even one that restores the mtime.
    const { size, mtimeMs, ctimeMs, ino } = statSync(chunkPath);
    return Buffer.from(`${JSON.stringify({ chunkPath, size, mtimeMs, ctimeMs, ino, node: process.version, arch: process.arch })}\n`, 'utf8');
  } catch {
    return undefined;
  }
}

type Crc32 = (data: Buffer) => number;

/**
 * Which installation a chunk belongs to, in 8 hexadecimal digits: two installations of one
 * version (global and in a project) share chunk names, and with one entry each would replace
 * each other's on every run.
 */
function installationOf(chunkPath: string, crc32: Crc32): string {
  return crcHex(Buffer.from(dirname(chunkPath), 'utf8'), crc32);
}

/** The line after the key: the CRC-32 of V8's data. */
function checksumLine(data: Buffer, crc32: Crc32): Buffer {
  return Buffer.from(`${crcHex(data, crc32)}\n`, 'latin1');
}

/** A CRC-32 in 8 hexadecimal digits. */
function crcHex(data: Buffer, crc32: Crc32): string {
  return crc32(data).toString(16).padStart(8, '0');
}

/** V8's data, when the entry is the user's own, starts with `key` and its data is intact. */
function readEntry(entry: string, key: Buffer, crc32: Crc32): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(entry, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!isPrivate(fstatSync(descriptor))) {
      debug('code cache %s: not used: not the user\'s own file', entry);
      return undefined;
    }
    const content = readFileSync(descriptor);
    if (!content.subarray(0, key.length).equals(key)) return undefined;
    const data = content.subarray(key.length + CHECKSUM_LINE_LENGTH);
    if (content.subarray(key.length, key.length + CHECKSUM_LINE_LENGTH).equals(checksumLine(data, crc32))) return data;
    debug('code cache %s: not used: damaged', entry);
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

const CHECKSUM_LINE_LENGTH = 9;

/** Owned by the user running this and writable by nobody else (where Node knows users). */
function isPrivate(stats: Stats): boolean {
  return process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
}

/** Written beside its final name and renamed, so a concurrent run never reads half an entry. */
function writeEntry(entry: string, key: Buffer, data: Buffer, crc32: Crc32): void {
  const temporary = `${entry}.${process.pid}`;
  try {
    writeFileSync(temporary, Buffer.concat([key, checksumLine(data, crc32), data]), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, entry);
    debug('code cache %s: written', entry);
  } catch (error) {
    debug('code cache %s: not written: %s', entry, (error as Error).message);
    rmSync(temporary, { force: true });
  }
}

/** An entry's name: a chunk's, a profile's (see {@link profileOf}), an installation's. */
const ENTRY_NAME = /^[\w-]+\.[a-z0-9-]+(\.help)?\.[0-9a-f]{8}\.bin$/;

/** Deletes the user's own entries last written before `cutoffMs`; nothing else in the directory. */
function deleteEntriesOlderThan(directory: string, cutoffMs: number): void {
  for (const name of readdirSync(directory)) {
    const entry = join(directory, name);
    try {
      const stats = lstatSync(entry);
      if (ENTRY_NAME.test(name) && stats.isFile() && isPrivate(stats) && stats.mtimeMs < cutoffMs) rmSync(entry, { force: true });
    } catch {
      // Gone already: nothing to do.
    }
  }
}

/**
 * Makes the directory, or finds it, and tells whether only the user can put files in it: a real
 * directory of the user's that nobody else may write, on a path nobody else can redirect.
 */
function makePrivateDirectory(directory: string): boolean {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stats = lstatSync(directory);
  if (stats.isDirectory() && isPrivate(stats) && isTrustedPath(directory)) return true;
  debug('code cache %s: not written: the directory is not the user\'s own', directory);
  return false;
}

/**
 * Whether nobody but the user (and root) can change what `path` names: every component of it, as
 * written and as resolved, is owned by the user or root, and every directory on the way is
 * writable by others only with the sticky bit, and by its group only when that is the user's
 * own (umask 002 with a group per user). A symbolic link others own, or one in a directory others
 * may write, could send the cache's writes and deletions anywhere the user can write.
 */
function isTrustedPath(path: string): boolean {
  if (process.getuid === undefined) return true;
  return [path, realpathSync.native(path)].every((start) => ancestorsOf(start).every((component) => isTrustedComponent(lstatSync(component))));
}

/** `path` and every directory above it, up to the root. */
function ancestorsOf(path: string): string[] {
  const ancestors = [path];
  for (let current = path; dirname(current) !== current; current = dirname(current)) ancestors.push(dirname(current));
  return ancestors;
}

function isTrustedComponent(stats: Stats): boolean {
  const owner = stats.uid === process.getuid?.() || stats.uid === 0;
  if (!owner || stats.isSymbolicLink()) return owner;
  const sticky = (stats.mode & 0o1000) !== 0;
  const othersWrite = (stats.mode & 0o002) !== 0;
  const groupWrite = (stats.mode & 0o020) !== 0;
  return (!othersWrite || sticky) && (!groupWrite || sticky || stats.gid === process.getgid?.());
}
