#!/usr/bin/env node
import { createChunkLoader } from './chunk-loader.ts';
import { openCodeCache } from './code-cache.ts';

const argv = process.argv.slice(2);
const codeCache = openCodeCache(argv);
// On exit rather than after main(): yargs ends the process itself once it has printed help.
process.on('exit', (status) => {
  if (status === 0) codeCache.persist();
});
const { main } = createChunkLoader(import.meta.dirname, codeCache).load('cli.cjs') as typeof import('../main.ts');
void main(argv).then((status) => {
  process.exitCode = status;
});
