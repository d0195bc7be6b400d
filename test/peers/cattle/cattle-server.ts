import { existsSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { freePort } from '../free-port.ts';
import { httpRequest } from '../http-request.ts';
import { logTail } from '../log-tail.ts';
import { launchPeer, type PeerLaunch, type PeerStartOptions } from '../peer-launch.ts';
import { stopPeerProcess, type SpawnedPeerProcess } from '../peer-process.ts';
import type { PeerRecord } from '../peer-record.ts';
import { waitUntil } from '../wait-until.ts';
import { createCattleAdmin, type CattleAdmin } from './cattle-admin.ts';
import { openCattleDb } from './cattle-db.ts';
import { ensureCattleWar, type CattleWar } from './cattle-war.ts';

/** A running real Cattle (Rancher 1.6's API server) on loopback, with admin helpers. */
export interface Cattle extends CattleAdmin {
  /** `http://127.0.0.1:<port>`; the API is under `/v1` and `/v2-beta`. */
  readonly origin: string;
  /** Cattle's version, `v0.183.83`. */
  readonly version: string;
  /** The throw-away directory (H2 database, logs), removed by stop(). */
  readonly dir: string;
  /** How long this start took until `/v2-beta` answered, in ms (an empty database: schema creation). */
  readonly startMs: number;
  stop(): Promise<void>;
  readonly record: PeerRecord;
}

// What Cattle 0.183 reflects into on Java 17 (rancher1-real-server.md: seen on this machine).
const OPENS = [
  ...[
    'java.lang',
    'java.lang.reflect',
    'java.lang.invoke',
    'java.util',
    'java.util.concurrent',
    'java.util.concurrent.atomic',
    'java.io',
    'java.net',
    'java.nio',
    'sun.nio.ch',
    'java.text',
    'java.security',
    'jdk.internal.misc',
    'sun.net.www.protocol.jar',
    'java.time',
  ].map((p) => `java.base/${p}`),
  'java.management/sun.management',
  'java.sql/java.sql',
];

/**
 * Starts the real Cattle on a free loopback port in a throw-away directory and resolves once the
 * log says `Startup Succeeded` and `GET /v2-beta` answers 200. The directory starts as a copy of
 * a database made once per build (see {@link ensureHomeTemplate}), so a start costs Cattle's
 * restart (about 10–20 s) instead of its schema creation (30–90 s). Builds the WAR first when it
 * is not cached. The returned admin helpers have turned local access control on.
 */
export async function startCattle(options: PeerStartOptions = {}): Promise<Cattle> {
  const war = await ensureCattleWar();
  const template = await ensureHomeTemplate(war);
  return launchPeer('cattle', options, async (launch) => {
    const started = Date.now();
    const dir = await launch.makeDir();
    await cp(template, dir, { recursive: true });
    const { origin, jdbcUrl } = await runCattleProcess(launch, war, dir);
    const startMs = Date.now() - started;
    const db = openCattleDb(war.java, war.h2Jar, jdbcUrl);
    try {
      const admin = await createCattleAdmin(origin, db);
      const stop = async () => {
        db.close();
        await launch.stop();
      };
      return { ...admin, origin, version: war.version, dir, startMs, stop, record: launch.record };
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

/** Spawns Cattle with its home in `dir` and waits until it serves; the caller's launch owns the process. */
async function runCattleProcess(
  launch: PeerLaunch,
  war: CattleWar,
  dir: string,
): Promise<{ origin: string; jdbcUrl: string; server: SpawnedPeerProcess }> {
  const home = `${dir}/`;
  await mkdir(join(dir, 'db'), { recursive: true });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const jdbcUrl = `jdbc:h2:${home}db/db-cattle;AUTO_SERVER=TRUE`;
  const args = [
    '-Xms128m',
    '-Xmx1g',
    // Two cores shared by a whole test run: a JIT and GC that take fewer threads.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    ...OPENS.flatMap((open) => ['--add-opens', `${open}=ALL-UNNAMED`]),
    '-Dcattle.http.host=127.0.0.1',
    `-Dcattle.http.port=${port}`,
    `-Dcattle.home=${home}`,
    '-Ddb.cattle.database=h2',
    `-Ddb.cattle.home=${home}db/`,
    // AUTO_SERVER lets the test's database reader in while Cattle holds the file; its TCP
    // server binds loopback only.
    `-Ddb.cattle.h2.url=${jdbcUrl}`,
    '-Dh2.bindAddress=127.0.0.1',
    `-Dlogback.log.dir=${home}logs/`,
    '-Dhost.api.proxy.mode=off',
    '-jar',
    war.path,
  ];
  const server = launch.spawn(war.java, args, {
    cwd: dir,
    logPath: join(dir, 'cattle.log'),
    env: { ...process.env, CATTLE_HOME: home, CATTLE_HTTP_HOST: '127.0.0.1' },
  });
  // Access control may already be on in a copied database: any HTTP answer means it serves.
  await waitUntil(
    async () =>
      (await httpRequest(`${origin}/v2-beta`, { timeoutMs: 5000 })).status > 0 &&
      (await logTail(server.logPath, 400)).includes('Startup Succeeded'),
    {
      what: `Cattle ${war.version} on ${origin}`,
      timeoutMs: 240_000,
      intervalMs: 250,
      abortIf: () =>
        server.exitReason() === undefined ? undefined : `java stopped (${server.exitReason()})`,
    },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n--- cattle.log\n${await logTail(server.logPath, 40)}`, {
      cause: error,
    });
  });
  return { origin, jdbcUrl, server };
}

/**
 * The home of a Cattle that started once on an empty database and was stopped (schema created,
 * nothing else), kept beside the WAR in the cache: every start copies it. Made on first use
 * (one start on an empty database, then a stop) into a temporary directory renamed into place,
 * so an interrupted or concurrent making never leaves a half template.
 */
async function ensureHomeTemplate(war: CattleWar): Promise<string> {
  const template = join(dirname(war.path), 'home-template');
  if (existsSync(join(template, 'db', 'db-cattle.mv.db'))) return template;
  const making = `${template}.tmp-${process.pid}`;
  await rm(making, { recursive: true, force: true });
  const started = Date.now();
  process.stderr.write(
    `[cattle] creating its database once for the cache (${template}); about 30-90 s\n`,
  );
  try {
    await launchPeer('cattle-template', {}, async (launch) => {
      const { server } = await runCattleProcess(launch, war, making);
      await stopPeerProcess(server, 30_000);
      await launch.stop();
    });
    await rm(join(making, 'logs'), { recursive: true, force: true });
    for (const name of [
      'cattle.log',
      join('db', 'db-cattle.lock.db'),
      join('db', 'db-cattle.trace.db'),
    ])
      await rm(join(making, name), { force: true });
    await rename(making, template).catch(() => undefined);
  } finally {
    await rm(making, { recursive: true, force: true });
  }
  process.stderr.write(
    `[cattle] database template made in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return template;
}
