// Bundles the CLI into dist/bundle: a small launcher (`ecr-refresh.js`) and the CLI itself
// (`cli-<hash>.cjs`) with its lazily loaded chunks, which the launcher runs through a V8 code cache
// (src/bin/chunk-loader.ts). Resolving and compiling hundreds of small modules dominated start-up;
// then compiling, on every run, the functions V8 compiles lazily did. A code cache written after a
// run holds those too, and only a classic script can have one: Node's compile cache for modules is
// written before they run. So the chunks esbuild splits (ES modules only) are made CommonJS.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, transform, type BuildOptions, type OutputFile, type Plugin } from 'esbuild';

// pino loads worker_threads and thread-stream when imported, for transports (a logger in a worker
// thread). ecr-refresh logs to standard error through its own stream and never starts a
// transport, so in the bundle they are stubs: worker_threads alone costs ~10 ms of every start.
const TRANSPORT_STUBS: Record<string, string> = {
  'thread-stream': "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not bundled with ecr-refresh'); } };",
  worker_threads: 'module.exports = { isMainThread: true };',
};
const pinoWithoutTransports: Plugin = {
  name: 'pino-without-transports',
  setup(plugin) {
    plugin.onResolve({ filter: /^(thread-stream|(node:)?worker_threads)$/ }, (args) =>
      /[\\/]node_modules[\\/]pino[\\/]/.test(args.importer) ? { path: args.path.replace(/^node:/, ''), namespace: 'pino-without-transports' } : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'pino-without-transports' }, (args) => ({ contents: TRANSPORT_STUBS[args.path], loader: 'js' }));
  },
};

// Built aside and swapped in whole: chunk names carry content hashes, so building in place would
// pile up stale chunks, and a run in progress would see a half-written bundle.
const staging = `dist/bundle.${process.pid}`;

const common: BuildOptions = { bundle: true, platform: 'node', target: 'node22', mainFields: ['module', 'main'], logLevel: 'warning' };

/**
 * The CLI split into chunks, as ES modules held in memory with inline source maps. import.meta,
 * which a CommonJS chunk lacks, is the chunk's own file, as it is for the ES module bundled into it.
 */
async function buildEsmChunks(): Promise<OutputFile[]> {
  const result = await build({
    ...common,
    entryPoints: { cli: 'src/main.ts' },
    // Every name carries a hash of its content, the entry's too: a code cache is kept per chunk
    // name, and must never meet other code of the same length (V8 checks nothing else).
    entryNames: '[name]-[hash]',
    outdir: staging,
    outExtension: { '.js': '.cjs' },
    splitting: true,
    format: 'esm',
    sourcemap: 'inline',
    write: false,
    define: { 'import.meta.url': '__import_meta_url', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
    banner: { js: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [pinoWithoutTransports],
  });
  return result.outputFiles;
}

/**
 * One chunk as CommonJS with a linked source map of the original sources. Imports become
 * require() where they stood, and import() a require() when it runs, as lazy as before: a chunk
 * runs as a classic script, where import() has no module loader to ask. Strict, as the ES module
 * it was.
 */
async function writeCommonJsChunk(chunk: OutputFile): Promise<void> {
  const file = basename(chunk.path);
  const { code, map } = await transform(chunk.text, {
    format: 'cjs',
    loader: 'js',
    platform: 'node',
    target: 'node22',
    supported: { 'dynamic-import': false },
    banner: '"use strict";',
    sourcemap: 'external',
    sourcefile: file,
  });
  writeFileSync(join(staging, file), `${code}//# sourceMappingURL=${file}.map\n`);
  writeFileSync(join(staging, `${file}.map`), map);
}

/**
 * The launcher, CommonJS too: an ES module importing node:fs or node:util builds a facade over
 * every export, some lazy (~4 ms each). The bundle's own package.json makes its .js CommonJS, so
 * the command keeps its name, `ecr-refresh.js`, which the package's bin and the image name. It is
 * told the name of the CLI's entry chunk, which changes with its content.
 */
async function buildLauncher(cliChunk: string): Promise<void> {
  await build({
    ...common,
    entryPoints: ['src/bin/ecr-refresh.ts'],
    outfile: join(staging, 'ecr-refresh.js'),
    format: 'cjs',
    sourcemap: 'linked',
    define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', ECR_REFRESH_CLI_CHUNK: JSON.stringify(cliChunk) },
  });
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

async function buildBundle(): Promise<void> {
  mkdirSync(staging, { recursive: true });
  const chunks = await buildEsmChunks();
  await Promise.all(chunks.map(writeCommonJsChunk));
  const cliChunk = chunks.map((chunk) => basename(chunk.path)).find((file) => /^cli-[A-Z0-9]+\.cjs$/.test(file));
  if (cliChunk === undefined) throw new Error('esbuild made no cli-<hash>.cjs entry chunk');
  await buildLauncher(cliChunk);
}

try {
  await buildBundle();
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  throw error;
}
rmSync('dist/bundle', { recursive: true, force: true, maxRetries: 5 });
renameSync(staging, 'dist/bundle');
