import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { commandAvailable } from './command-available.ts';
import { freePort } from './free-port.ts';
import { logTail } from './log-tail.ts';
import { launchPeer, type PeerStartOptions } from './peer-launch.ts';
import type { PeerRecord } from './peer-record.ts';
import { runScript } from './run-script.ts';
import { waitUntil } from './wait-until.ts';

/** A running tinyproxy on loopback. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`, the value for HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  /** Everything tinyproxy logged so far: one `Request` line per proxied request, `CONNECT …` for tunnels. */
  accessLog(): Promise<string>;
  stop(): Promise<void>;
  record: PeerRecord;
}

const INSTALL_SCRIPT = join(import.meta.dirname, 'tinyproxy', 'install.sh');

/** Installs tinyproxy from Debian's packages when it is not on PATH (see tinyproxy/install.sh). */
export async function ensureTinyproxy(): Promise<void> {
  if (!(await commandAvailable('tinyproxy'))) await runScript(INSTALL_SCRIPT);
}

/**
 * The config: loopback only, in the foreground (`-d`), logging each request. No `ConnectPort`
 * line on purpose: with none, CONNECT is allowed to every port (peers listen on random ones);
 * a single `ConnectPort 443` would refuse them all ("Refused CONNECT method on port N").
 */
function tinyproxyConfig(port: number, logFile: string): string {
  return [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 60',
    'MaxClients 50',
    'Allow 127.0.0.1',
    'LogLevel Info',
    `LogFile "${logFile}"`,
    '',
  ].join('\n');
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts tinyproxy (installing it first if needed) on a free loopback port; resolves once it accepts connections. */
export async function startTinyproxy(options: PeerStartOptions = {}): Promise<Tinyproxy> {
  await ensureTinyproxy();
  return launchPeer('tinyproxy', options, async (launch) => {
    const dir = await launch.makeDir();
    const port = await freePort();
    const logFile = join(dir, 'tinyproxy.log');
    const configPath = join(dir, 'tinyproxy.conf');
    await writeFile(configPath, tinyproxyConfig(port, logFile));
    const proxy = launch.spawn('tinyproxy', ['-d', '-c', configPath], {
      cwd: dir,
      logPath: join(dir, 'stdout.log'),
    });
    await waitUntil(() => acceptsConnections(port), {
      what: 'tinyproxy',
      timeoutMs: 10_000,
      abortIf: () => proxy.exitReason(),
    }).catch(async (error: Error) => {
      throw new Error(
        `${error.message}\n${await logTail(logFile)}\n${await logTail(proxy.logPath)}`,
        { cause: error },
      );
    });
    return {
      url: `http://127.0.0.1:${port}`,
      accessLog: () =>
        readFile(logFile, 'utf8').catch((error: NodeJS.ErrnoException) =>
          error.code === 'ENOENT' ? '' : Promise.reject(error),
        ),
      stop: () => launch.stop(),
      record: launch.record,
    };
  });
}
