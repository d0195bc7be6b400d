import { execFile } from 'node:child_process';

/** Resolves true when `command` is found on PATH (as the shell's `command -v` sees it; `env`'s PATH when given). */
export function commandAvailable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', 'command -v "$1"', 'sh', command], { env }, (error) =>
      resolve(error === null),
    );
  });
}
