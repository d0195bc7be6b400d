import { readFile } from 'node:fs/promises';

/** The last `lines` lines of a peer's log, for start-failure messages; empty if it is unreadable. */
export async function logTail(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
