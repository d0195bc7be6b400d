// Fills Node's compile cache for every file of the bundle, so that a run that starts with
// NODE_COMPILE_CACHE pointing there compiles nothing from source: the container image runs this in
// its build stage, with the Node of the runtime stage, on the bundle where the runtime stage has it
// (an entry names its file's path; Node checks its source and Node version), and then ships the
// directory read-only. Usage: node scripts/bake-compile-cache.ts BUNDLE_DIR CACHE_DIR
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import module from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, cache] = process.argv.slice(2).map((path) => resolve(path));
if (bundle === undefined || cache === undefined)
  throw new Error('usage: bake-compile-cache.ts BUNDLE_DIR CACHE_DIR');

// The launcher as it runs: Node caches the entry file itself only when NODE_COMPILE_CACHE is set at start.
const help = spawnSync(process.execPath, [join(bundle, 'ecr-refresh.js'), '--help'], {
  env: { ...process.env, NODE_COMPILE_CACHE: cache },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (help.status !== 0) throw new Error(`ecr-refresh --help exited ${help.status}`);

// Every chunk, compiled by importing it: a chunk defines modules and runs their top-level code, and
// no chunk but the launcher starts a command. Lazily loaded commands and the SDK are cached too.
const { status } = module.enableCompileCache(cache);
if (status === module.constants.compileCacheStatus.FAILED)
  throw new Error(`Node's compile cache cannot be written to ${cache}`);
const chunks = readdirSync(bundle).filter(
  (file) => file.endsWith('.js') && file !== 'ecr-refresh.js',
);
for (const chunk of chunks) await import(pathToFileURL(join(bundle, chunk)).href);
module.flushCompileCache();
process.stdout.write(`compile cache for the launcher and ${chunks.length} chunks in ${cache}\n`);
