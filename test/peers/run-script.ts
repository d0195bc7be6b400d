import { spawn } from 'node:child_process';

/**
 * Runs a setup script (build, install) with its progress streamed to our stderr as it happens,
 * and resolves with its trimmed stdout. Rejects naming the script when it exits non-zero.
 */
export function runScript(
  path: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout.trim());
      else
        reject(
          new Error(
            `${path} failed (${signal ?? `exit code ${code}`}); its progress is above on stderr`,
          ),
        );
    });
  });
}
