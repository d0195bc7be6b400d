import { execFile } from 'node:child_process';

/** Resolves true when `command` is found on PATH (as the shell's `command -v` sees it). */
export function commandAvailable(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', 'command -v "$1"', 'sh', command], (error) => resolve(error === null));
  });
}
