import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import { runScript } from '../run-script.ts';

/** The built Cattle server (a runnable WAR) and the Java that runs it. */
export interface CattleWar {
  /** `…/cattle/v0.183.83-<patch hash>/cattle.war` in the cache outside the clone. */
  path: string;
  /** The H2 driver the WAR ships, beside it in the cache (for the database reader). */
  h2Jar: string;
  /** `v0.183.83`, from test/peers/cattle/VERSION. */
  version: string;
  /** The `java` of Java 17. */
  java: string;
}

const BUILD_SCRIPT = join(import.meta.dirname, 'build.sh');
const JAVA_17 = '/usr/lib/jvm/java-17-openjdk-amd64';

/**
 * The `java` to run Cattle with: `$JAVA_HOME/bin/java` when there is one, else, when a `java` is
 * on PATH, Debian's Java 17 (the default `java` may be another release), else that `java`.
 * Rejects naming the packages when there is no Java at all.
 */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const home = env.JAVA_HOME;
  if (home !== undefined && home !== '') {
    const java = join(home, 'bin', 'java');
    if (await executable(java)) return java;
  }
  const onPath = await whichCommand('java', env);
  if (onPath !== undefined) {
    const debian = join(JAVA_17, 'bin', 'java');
    return (await executable(debian)) ? debian : realpath(onPath);
  }
  throw new Error(
    'no Java 17 (no $JAVA_HOME/bin/java and no java on PATH); Debian: apt-get install openjdk-17-jdk-headless maven',
  );
}

function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The path `command -v` finds for `command` on `env`'s PATH, or undefined. */
function whichCommand(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', 'command -v "$1"', 'sh', command], { env }, (error, stdout) =>
      resolve(error === null && stdout.trim() !== '' ? stdout.trim() : undefined),
    );
  });
}

/** Whether build.sh would find the WAR (and its H2 driver) in the cache: no Maven is needed then. */
export async function cattleWarCached(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [version] = (await readFile(join(import.meta.dirname, 'VERSION'), 'utf8'))
    .trim()
    .split(/\s+/);
  const patchHash = createHash('sha256')
    .update(await readFile(join(import.meta.dirname, 'java17.patch')))
    .digest('hex')
    .slice(0, 12);
  const dir = join(cacheRoot(env), 'cattle', `${version ?? 'unknown'}-${patchHash}`);
  const nonEmpty = (path: string) =>
    stat(path).then(
      (info) => info.size > 0,
      () => false,
    );
  return (await nonEmpty(join(dir, 'cattle.war'))) && (await nonEmpty(join(dir, 'h2.jar')));
}

/**
 * Returns the cached Cattle WAR, building it first when the cache is missing (about 2 minutes
 * on 2 cores with an empty Maven repository, progress on stderr). A cached run costs one `bash`.
 */
export async function ensureCattleWar(): Promise<CattleWar> {
  const java = await findJava();
  const [version] = (await readFile(join(import.meta.dirname, 'VERSION'), 'utf8'))
    .trim()
    .split(/\s+/);
  const path =
    (await runScript(BUILD_SCRIPT, [], { ...process.env, JAVA_HOME: join(java, '..', '..') }))
      .split('\n')
      .pop() ?? '';
  if (path === '') throw new Error(`${BUILD_SCRIPT} printed no WAR path`);
  return { path, h2Jar: join(path, '..', 'h2.jar'), version: version ?? 'unknown', java };
}
