// `npm run -s cli -- <command> [options]`: runs the ecr-refresh CLI of this checkout, on the Node.js
// the project pins (npm scripts run node_modules/.bin/node), without installing anything. Builds
// the bundle first when it is missing. The CLI runs in this process (signals reach it directly,
// as with the installed command), in the directory npm was started from, so relative paths given
// to it (--kubeconfig ./kubeconfig.yaml) mean what they say.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'packages', 'cli', 'dist', 'bundle', 'ecr-refresh.js');

if (!existsSync(BIN)) {
  // Build output goes to standard error: standard output is the CLI's (`token --password-only | …`).
  process.stderr.write(`${BIN} is missing: running npm run build first\n`);
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0 || !existsSync(BIN)) {
    process.stderr.write(
      `npm run build failed (exit ${build.status ?? build.signal}); run it yourself to see why\n`,
    );
    process.exit(70);
  }
}

// npm runs scripts in the package root; INIT_CWD is where the user typed the command.
if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
// The launcher reads process.argv.slice(2): here, the arguments after `--`. It sets process.exitCode.
await import(pathToFileURL(BIN).href);
