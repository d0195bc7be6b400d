// `npm run testenv -- up|down|status`: the test peers (kube-apiserver + etcd, moto, tinyproxy)
// outside of a test run, for trying the CLI by hand or running an end-to-end suite repeatedly.
// `up` leaves them running detached and prints shell exports; `down` stops them.
import { mkdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { startKubeApiServer } from './peers/kube/kube-apiserver.ts';
import { startMoto } from './peers/moto.ts';
import { httpRequest } from './peers/http-request.ts';
import { isSameProcess } from './peers/peer-process.ts';
import { stopPeerRecord, type PeerRecord } from './peers/peer-record.ts';
import { startTinyproxy } from './peers/tinyproxy.ts';
import {
  readTestenvState,
  removeTestenvState,
  TESTENV_DIR,
  writeTestenvState,
  type TestenvState,
} from './peers/testenv-state.ts';

const note = (line: string): void => void process.stderr.write(`${line}\n`);

/** Shell lines for `eval "$(npm run -s testenv -- up)"`; comments carry what is not a variable. */
function exportsOf(state: TestenvState): string {
  return [
    `# kube-apiserver v${state.kube.version} at ${state.kube.server} (admin: client certificate in system:masters)`,
    `export KUBECONFIG=${state.kube.kubeconfigPath}`,
    `# moto (ECR, IAM, STS), auth off: any credentials pass`,
    `export AWS_ENDPOINT_URL=${state.moto.endpoint}`,
    'export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1',
    `# tinyproxy (CONNECT allowed to any port; its log: ${state.tinyproxy.record.dirs[0] ?? ''}/tinyproxy.log)`,
    `export HTTPS_PROXY=${state.tinyproxy.url}`,
    '',
  ].join('\n');
}

function tcpOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answers(url: string, ca?: string): Promise<boolean> {
  try {
    const tls = ca === undefined ? undefined : { ca: await readFile(ca) };
    return (
      (await httpRequest(url, { timeoutMs: 3000, ...(tls === undefined ? {} : { tls }) }))
        .status === 200
    );
  } catch {
    return false;
  }
}

/** One line per peer: up only when every process runs and the peer answers. */
async function peerStatuses(
  state: TestenvState,
): Promise<Array<{ name: string; up: boolean; detail: string }>> {
  const running = (record: PeerRecord) => record.processes.every(isSameProcess);
  return [
    {
      name: 'kube',
      up:
        running(state.kube.record) &&
        (await answers(`${state.kube.server}/readyz`, state.kube.caPath)),
      detail: `v${state.kube.version} ${state.kube.server}`,
    },
    {
      name: 'moto',
      up: running(state.moto.record) && (await answers(`${state.moto.endpoint}/moto-api/`)),
      detail: state.moto.endpoint,
    },
    {
      name: 'tinyproxy',
      up: running(state.tinyproxy.record) && (await tcpOpen(state.tinyproxy.url)),
      detail: state.tinyproxy.url,
    },
  ];
}

async function down(): Promise<void> {
  const state = await readTestenvState();
  if (state === undefined) {
    note('testenv: nothing is up');
    return;
  }
  await Promise.all(
    [state.kube.record, state.moto.record, state.tinyproxy.record].map(stopPeerRecord),
  );
  await removeTestenvState();
  note('testenv: stopped kube-apiserver, etcd, moto and tinyproxy; directories removed');
}

async function up(): Promise<void> {
  const existing = await readTestenvState();
  if (existing !== undefined) {
    if ((await peerStatuses(existing)).every((peer) => peer.up)) {
      note('testenv: already up');
      process.stdout.write(exportsOf(existing));
      return;
    }
    note('testenv: a previous environment is partly down: stopping what is left of it');
    await down();
  }
  await mkdir(TESTENV_DIR, { recursive: true });
  const options = { detached: true, baseDir: TESTENV_DIR };
  const started = performance.now();
  const [kube, moto, tinyproxy] = await Promise.allSettled([
    startKubeApiServer(options),
    startMoto(options),
    startTinyproxy(options),
  ]);
  if (kube.status === 'rejected' || moto.status === 'rejected' || tinyproxy.status === 'rejected') {
    // Detached peers are not stopped on exit: stop the ones that did start before failing.
    await Promise.all(
      [kube, moto, tinyproxy].map((result) =>
        result.status === 'fulfilled' ? result.value.stop() : undefined,
      ),
    );
    const reasons = [kube, moto, tinyproxy].flatMap((result) =>
      result.status === 'rejected' ? [String(result.reason)] : [],
    );
    throw new Error(`testenv up failed:\n${reasons.join('\n')}`);
  }
  const state: TestenvState = {
    startedAt: new Date().toISOString(),
    kube: {
      record: kube.value.record,
      server: kube.value.server,
      kubeconfigPath: kube.value.kubeconfigPath,
      caPath: kube.value.caPath,
      version: kube.value.version,
    },
    moto: { record: moto.value.record, endpoint: moto.value.endpoint },
    tinyproxy: { record: tinyproxy.value.record, url: tinyproxy.value.url },
  };
  await writeTestenvState(state);
  note(
    `testenv: up in ${((performance.now() - started) / 1000).toFixed(1)} s; stop with: npm run testenv -- down`,
  );
  process.stdout.write(exportsOf(state));
}

async function status(): Promise<void> {
  const state = await readTestenvState();
  if (state === undefined) {
    process.stdout.write('testenv: nothing is up\n');
    process.exitCode = 1;
    return;
  }
  const peers = await peerStatuses(state);
  for (const peer of peers)
    process.stdout.write(`${peer.name.padEnd(10)} ${peer.up ? 'up  ' : 'DOWN'} ${peer.detail}\n`);
  if (!peers.every((peer) => peer.up)) process.exitCode = 1;
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (command === undefined) {
  note('usage: node test/testenv.ts up|down|status');
  process.exitCode = 2;
} else {
  await command().catch((error: unknown) => {
    note(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
