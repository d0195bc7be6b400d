// Bundles the CLI into dist/bundle: one entry file plus lazily loaded chunks (each command's
// code and the AWS SDK load only when that command runs). Resolving and compiling hundreds of
// small modules dominated start-up; bundled, `--help` starts as fast as a bare `node`.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

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
  logLevel: 'warning',
});
rmSync('dist/bundle', { recursive: true, force: true, maxRetries: 5 });
renameSync(staging, 'dist/bundle');
