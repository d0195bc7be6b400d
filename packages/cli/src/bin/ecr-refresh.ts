#!/usr/bin/env node
// First: on a Node.js older than 22 this prints one line and exits 64 before anything else loads.
import './require-node.ts';
import module from 'node:module';
import { isAbsolute, join } from 'node:path';

enableCompileCache();
const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2));

/**
 * Turns on Node's compile cache (Node >= 22.1; a no-op on 22.0) before the CLI is imported, so
 * that the bundle's chunks are compiled from cached bytecode after the first run. A cache Node
 * already keeps (NODE_COMPILE_CACHE, as the image sets it to a directory baked at build time)
 * stays. Otherwise it goes to the user's cache directory, not to a temporary directory shared
 * with other users; where that cannot be made, the run goes on uncached, silently.
 */
function enableCompileCache(): void {
  const directory = userCacheDirectory();
  if (module.enableCompileCache === undefined || directory === undefined) return;
  module.enableCompileCache(directory);
}

/**
 * `$XDG_CACHE_HOME/ecr-refresh/compile-cache`, else `$HOME/.cache/…` (only absolute paths count,
 * as the XDG spec says); undefined without either, or under /proc, where Node 26 loops forever
 * trying to create it.
 */
function userCacheDirectory(): string | undefined {
  const { XDG_CACHE_HOME: xdgCache, HOME: home } = process.env;
  const base =
    xdgCache !== undefined && isAbsolute(xdgCache)
      ? xdgCache
      : home !== undefined && isAbsolute(home)
        ? join(home, '.cache')
        : undefined;
  if (base === undefined) return undefined;
  const directory = join(base, 'ecr-refresh', 'compile-cache');
  return directory.startsWith('/proc/') ? undefined : directory;
}
