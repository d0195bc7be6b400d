import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The `java` to run Cattle with: `$JAVA_HOME/bin/java`, else Debian's Java 17; rejects naming the package when neither exists. */
export async function findJava(): Promise<string> {
  for (const home of [process.env['JAVA_HOME'], JAVA_17]) {
    if (home === undefined || home === '') continue;
    const java = join(home, 'bin', 'java');
    if (await access(java, constants.X_OK).then(() => true, () => false)) return java;
  }
  throw new Error(`the Cattle test peer needs Java 17: none at $JAVA_HOME or ${JAVA_17} (Debian: apt-get install openjdk-17-jdk-headless maven)`);
}

/**
 * Returns the cached Cattle WAR, building it first when the cache is missing (about 2 minutes
 * on 2 cores with an empty Maven repository, progress on stderr). A cached run costs one `bash`.
 */
export async function ensureCattleWar(): Promise<CattleWar> {
  const java = await findJava();
  const [version] = (await readFile(join(import.meta.dirname, 'VERSION'), 'utf8')).trim().split(/\s+/);
  const path = (await runScript(BUILD_SCRIPT, [], { ...process.env, JAVA_HOME: join(java, '..', '..') })).split('\n').pop() ?? '';
  if (path === '') throw new Error(`${BUILD_SCRIPT} printed no WAR path`);
  return { path, h2Jar: join(path, '..', 'h2.jar'), version: version ?? 'unknown', java };
}
