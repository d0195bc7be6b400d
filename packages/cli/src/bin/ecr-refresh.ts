#!/usr/bin/env node
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createChunkLoader } from './chunk-loader.ts';
import { openCodeCache } from './code-cache.ts';

/** The CLI's entry chunk in this directory, named after its content; set by scripts/bundle.ts. */
declare const ECR_REFRESH_CLI_CHUNK: string;

const argv = process.argv.slice(2);
const { main } = loadCli() as typeof import('../main.ts');
void main(argv).then((status) => {
  process.exitCode = status;
});

/**
 * The CLI, through the code cache; with --enable-source-maps, through Node's own loader instead,
 * which maps stack traces to the sources (a vm Script's are not).
 */
function loadCli(): unknown {
  if (process.sourceMapsEnabled) return createRequire(import.meta.filename)(join(import.meta.dirname, ECR_REFRESH_CLI_CHUNK));
  const codeCache = openCodeCache(argv);
  // On exit rather than after main(): yargs ends the process itself once it has printed help.
  process.on('exit', (status) => {
    if (status === 0) codeCache.persist();
  });
  return createChunkLoader(import.meta.dirname, codeCache).load(ECR_REFRESH_CLI_CHUNK);
}
