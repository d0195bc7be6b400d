// Bundles the CLI into dist/bundle: one entry file plus lazily loaded chunks (each command's
// code and the AWS SDK load only when that command runs). Resolving and compiling hundreds of
// small modules dominated start-up; bundled, `--help` starts as fast as a bare `node`.
import { build } from 'esbuild';

await build({
  entryPoints: { 'ecr-refresh': 'src/bin/ecr-refresh.ts' },
  outdir: 'dist/bundle',
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
  logLevel: 'warning',
});
