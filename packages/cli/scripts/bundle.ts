// Bundles the CLI into dist/bundle: one entry file plus lazily loaded chunks (each command's
// code and the AWS SDK load only when that command runs). Resolving and compiling hundreds of
// small modules dominated start-up; bundled, `--help` starts as fast as a bare `node`.
import { renameSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { build, type Plugin } from 'esbuild';

// Importing a Node built-in as an ES module builds a facade that reads every export, and some are
// lazy getters: node:http's loads the whole bundled undici (~25 ms), node:fs's its streams. Required
// as CommonJS (through the banner's require), a built-in's getters stay untouched until used.
const builtinsAsCommonJs: Plugin = {
  name: 'builtins-as-commonjs',
  setup(plugin) {
    plugin.onResolve({ filter: /^(node:)?[a-z][a-z0-9_/]*$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      const name = args.path.replace(/^node:/, '');
      if (args.namespace === 'commonjs-builtin') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'commonjs-builtin' };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'commonjs-builtin' }, (args) => ({ contents: `module.exports = require('node:${args.path}');`, loader: 'js' }));
  },
};

// Built aside and swapped in whole: chunk names carry content hashes, so building in place would
// pile up stale chunks, and a run in progress would see a half-written bundle.
const staging = `dist/bundle.${process.pid}`;

await build({
  entryPoints: { 'ecr-refresh': 'src/bin/ecr-refresh.ts' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  // CommonJS dependencies bundled into ESM still call require() and read __filename/__dirname.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  define: { __filename: 'import.meta.filename', __dirname: 'import.meta.dirname' },
  plugins: [builtinsAsCommonJs],
  logLevel: 'warning',
});
rmSync('dist/bundle', { recursive: true, force: true, maxRetries: 5 });
renameSync(staging, 'dist/bundle');
