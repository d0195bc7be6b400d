#!/usr/bin/env node
import module from 'node:module';
import { isAbsolute, join } from 'node:path';

enableCompileCache();
const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2));

/**
 * Caches compiled bytecode between runs: start-up matters for a command run every few hours by
 * cron and on every container start. A cache Node already keeps (NODE_COMPILE_CACHE, as the image
 * sets) stays; otherwise it goes to the user's cache directory rather than a /tmp shared with
 * other users; where that is unwritable, to Node's default in the temporary directory; where that
 * fails too, the run goes on uncached, silently.
 */
function enableCompileCache(): void {
  if (module.enableCompileCache === undefined) return;
  const directory = userCacheDirectory();
  const status = directory === undefined ? undefined : module.enableCompileCache(directory).status;
  if (status === undefined || status === module.constants.compileCacheStatus.FAILED) module.enableCompileCache();
}

/**
 * `$XDG_CACHE_HOME/ecr-refresh/compile-cache`, else `$HOME/.cache/…` (only absolute paths count,
 * as the XDG spec says); undefined without either, or under /proc, where Node 26 loops forever
 * trying to create it.
 */
function userCacheDirectory(): string | undefined {
  const { XDG_CACHE_HOME: xdgCache, HOME: home } = process.env;
  const base = xdgCache !== undefined && isAbsolute(xdgCache) ? xdgCache : home !== undefined && isAbsolute(home) ? join(home, '.cache') : undefined;
  if (base === undefined) return undefined;
  const directory = join(base, 'ecr-refresh', 'compile-cache');
  return directory.startsWith('/proc/') ? undefined : directory;
}
