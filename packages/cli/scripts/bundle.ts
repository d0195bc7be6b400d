// Bundles the CLI into dist/bundle: an ES module launcher (`ecr-refresh.js`, which turns on Node's
// compile cache) plus lazily loaded chunks, so that each command's code and the AWS SDK load only
// when that command runs. Resolving and compiling hundreds of small modules dominated start-up.
import { renameSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { build, type Plugin } from 'esbuild';

// Importing a Node built-in as an ES module builds a facade that reads every export, and some are
// lazy getters: node:http's loads the whole bundled undici, node:fs's its streams (a one-shot
// docker-config loaded 213 built-in modules instead of 182, and 75 instead of 70 MiB RSS). Required
// as CommonJS (through the banner's require), a built-in's getters stay untouched until used.
// Each importing file gets its own one-line stub, which lands in that file's chunk: one stub per
// built-in, shared, made a dozen tiny chunks, each one more module for Node to load at start-up.
const importerIds = new Map<string, number>();
function importerId(importer: string): number {
  if (!importerIds.has(importer)) importerIds.set(importer, importerIds.size);
  return importerIds.get(importer) ?? 0;
}
const builtinsAsCommonJs: Plugin = {
  name: 'builtins-as-commonjs',
  setup(plugin) {
    plugin.onResolve({ filter: /^(node:)?[a-z][a-z0-9_/]*$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      const name = args.path.replace(/^node:/, '');
      if (args.namespace === 'commonjs-builtin') return { path: `node:${name}`, external: true };
      return { path: `${name}~${importerId(args.importer)}`, namespace: 'commonjs-builtin' };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'commonjs-builtin' }, (args) => ({
      contents: `module.exports = require('node:${args.path.replace(/~.*$/, '')}');`,
      loader: 'js',
    }));
  },
};

// pino loads worker_threads and thread-stream when imported, for transports (a logger in a worker
// thread). ecr-refresh logs to standard error through its own stream and never starts a
// transport, so in the bundle they are stubs: worker_threads alone costs ~10 ms of every start.
const TRANSPORT_STUBS: Record<string, string> = {
  'thread-stream':
    "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not bundled with ecr-refresh'); } };",
  worker_threads: 'module.exports = { isMainThread: true };',
};
const pinoWithoutTransports: Plugin = {
  name: 'pino-without-transports',
  setup(plugin) {
    plugin.onResolve({ filter: /^(thread-stream|(node:)?worker_threads)$/ }, (args) =>
      /[\\/]node_modules[\\/]pino[\\/]/.test(args.importer)
        ? { path: args.path.replace(/^node:/, ''), namespace: 'pino-without-transports' }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'pino-without-transports' }, (args) => ({
      contents: TRANSPORT_STUBS[args.path],
      loader: 'js',
    }));
  },
};

// Built aside and swapped in whole: chunk names carry content hashes, so building in place would
// pile up stale chunks, and a run in progress would see a half-written bundle.
const staging = `dist/bundle.${process.pid}`;

try {
  await build({
    entryPoints: { 'ecr-refresh': 'src/bin/ecr-refresh.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    // Read only under --enable-source-maps (or NODE_OPTIONS with it): free otherwise.
    sourcemap: 'linked',
    // CommonJS dependencies bundled into ESM still call require() and read __filename/__dirname.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    define: { __filename: 'import.meta.filename', __dirname: 'import.meta.dirname' },
    plugins: [pinoWithoutTransports, builtinsAsCommonJs],
    logLevel: 'warning',
  });
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  throw error;
}
rmSync('dist/bundle', { recursive: true, force: true, maxRetries: 5 });
renameSync(staging, 'dist/bundle');
