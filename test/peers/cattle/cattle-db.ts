import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/** One row, every column as text (`null` for SQL NULL), column names in lower case. */
export type DbRow = Readonly<Record<string, string | null>>;

/** Read-only SQL on the running Cattle's H2 database, through one long-lived `java` reader. */
export interface CattleDb {
  query(sql: string): Promise<DbRow[]>;
  close(): void;
}

const READER = join(import.meta.dirname, 'CattleDbReader.java');

/**
 * Starts the reader (CattleDbReader.java, run from source by `java`) on `jdbcUrl`. Queries are
 * answered one at a time, in order. The reader exits when its stdin closes, so it cannot outlive
 * the test process.
 */
export function openCattleDb(java: string, h2Jar: string, jdbcUrl: string): CattleDb {
  const child: ChildProcessWithoutNullStreams = spawn(
    java,
    ['-Xmx64m', '-XX:TieredStopAtLevel=1', '-cp', h2Jar, READER, jdbcUrl],
    { stdio: 'pipe' },
  );
  // Idle, the reader keeps no process alive; a pending query does (a script awaiting it must not exit).
  const hold = (on: boolean): void => {
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      const handle = stream as unknown as { ref?: () => void; unref?: () => void };
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  };
  child.unref();
  hold(false);
  let stderr = '';
  child.stderr
    .setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const waiting: Array<{
    resolve: (rows: DbRow[]) => void;
    reject: (error: Error) => void;
    sql: string;
  }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (waiting.length === 0) hold(false);
    if (next === undefined) return;
    const answer = JSON.parse(line) as { rows?: DbRow[]; error?: string };
    if (answer.rows !== undefined) next.resolve(answer.rows);
    else next.reject(new Error(`Cattle database: ${answer.error ?? 'no answer'} (${next.sql})`));
  });
  child.once('exit', (code, signal) => {
    for (const pending of waiting.splice(0))
      pending.reject(
        new Error(`Cattle database reader stopped (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
      );
  });
  return {
    query(sql) {
      if (sql.includes('\n')) throw new Error('one line of SQL per query');
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject, sql });
        hold(true);
        child.stdin.write(`${sql}\n`);
      });
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
