import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CodeCache } from './code-cache.ts';

/** Loads the bundle's CommonJS chunks from one directory, each compiled through the code cache. */
export interface ChunkLoader {
  /** The exports of the chunk in `file`, run on first use. */
  load(file: string): unknown;
}

interface ChunkModule {
  exports: unknown;
}

type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: ChunkModule, filename: string, dirname: string) => void;

/**
 * A chunk runs the way Node runs a CommonJS file, in the same wrapper function, but compiled as a
 * vm Script: only a Script takes a code cache and makes one after running. Inside a chunk,
 * `require('./x.cjs')` is another chunk of the directory, and anything else (Node's built-ins) is
 * required as Node would from there.
 */
export function createChunkLoader(directory: string, codeCache: CodeCache): ChunkLoader {
  const modules = new Map<string, ChunkModule>();
  const nodeRequire = createRequire(join(directory, 'ecr-refresh.js'));
  const chunkRequire: NodeJS.Require = Object.assign((specifier: string) => (specifier.startsWith('./') ? load(specifier.slice(2)) : nodeRequire(specifier)), nodeRequire);

  function load(file: string): unknown {
    const loaded = modules.get(file);
    if (loaded !== undefined) return loaded.exports;
    const path = join(directory, file);
    const script = codeCache.compile(path, `(function (exports, require, module, __filename, __dirname) { ${readFileSync(path, 'utf8')}\n})`);
    const module: ChunkModule = { exports: {} };
    // Registered before it runs, as Node does, so that chunks requiring each other see a partial module rather than loop.
    modules.set(file, module);
    (script.runInThisContext() as ModuleWrapper)(module.exports, chunkRequire, module, path, directory);
    return module.exports;
  }
  return { load };
}
