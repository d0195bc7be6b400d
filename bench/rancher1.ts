// Rancher 1.x sink benchmark (issue 14): 20 environments × 10 registries, every credential
// rewritten (a forced run), on the real Rancher 1.6 API server (Cattle v0.183.83, built and
// started by the test peer). The floor is a minimal client making the same requests (list
// projects; per environment list registries and credentials, then one PUT per credential) with
// node:http, a keep-alive agent and the same concurrency, measured interleaved with the sink in
// the same run. Requests are counted once per subject through a recording proxy (not timed).
// Writes bench/results/rancher1.json.
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseRegistry,
  silentLogger,
  type ApplyContext,
  type RegistryCredential,
} from '@ecr-refresh/core';
import { createRancher1Sink } from '@ecr-refresh/rancher1';
import { startCattle, startFaultProxy, type Cattle, type CattleKey } from '../test/peers/index.ts';
import { describeMachine, summarize } from './machine.ts';

const ENVIRONMENTS = 20;
const REGISTRIES = 10;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 10);
const CONCURRENCY = 4;
const PASSWORD = 'bench-ecr-password-0123456789';
const GOAL = 1.2;
const hosts = Array.from(
  { length: REGISTRIES },
  (_, index) => `1234567890${String(index).padStart(2, '0')}.dkr.ecr.eu-west-1.amazonaws.com`,
);

/** ENVIRONMENTS environments of REGISTRIES registries, each with one credential, and a user key that owns them all (and reaches nothing else). */
async function seed(cattle: Cattle): Promise<CattleKey> {
  const ids: string[] = [];
  await eachWithConcurrency(
    Array.from({ length: ENVIRONMENTS }, (_, index) => index),
    async (index) => {
      const environment = await cattle.createEnvironment(`bench-${index}`);
      ids.push(environment.id);
      await Promise.all(
        hosts.map(async (host) => {
          const registry = await cattle.addRegistry(environment.id, host);
          await cattle.addCredential(environment.id, registry.id, {
            publicValue: 'AWS',
            secretValue: 'old-password',
          });
        }),
      );
    },
  );
  return cattle.createUserKey(Object.fromEntries(ids.map((id) => [id, 'owner'])));
}

/** A forced run's context: every target needs refreshing, credentials are at hand (no ECR). */
function forcedContext(): ApplyContext {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 12 * 3600_000);
  const credentials = new Map<string, RegistryCredential>(
    hosts.map((host) => [
      host,
      { host, username: 'AWS', password: PASSWORD, auth: '', fetchedAt: now, expiresAt },
    ]),
  );
  return {
    registries: hosts.map((host) => parseRegistry(host)),
    credentials: async () => credentials,
    needsRefresh: () => true,
    dryRun: false,
    signal: new AbortController().signal,
    logger: silentLogger,
    now: () => now,
  };
}

async function runSink(origin: string, key: CattleKey): Promise<void> {
  const sink = createRancher1Sink({
    url: `${origin}/v2-beta`,
    accessKey: key.accessKey,
    secretKey: key.secretKey,
    concurrency: CONCURRENCY,
  });
  const results = await sink.apply(forcedContext());
  const updated = results.filter((result) => result.action === 'updated').length;
  if (updated !== ENVIRONMENTS * REGISTRIES)
    throw new Error(
      `sink updated ${updated}: ${results.find((result) => result.error)?.error?.message}`,
    );
}

/** One Cattle API call: method, path, optional JSON body; resolves with the parsed answer. */
type Call = (
  method: string,
  path: string,
  body?: object,
) => Promise<{ data: Array<Record<string, string>> }>;

/** The sink's requests and nothing else: list projects; per environment list registries and credentials, then one PUT per credential. */
async function sameRequests(call: Call): Promise<void> {
  const projects = await call('GET', '/v2-beta/projects');
  await eachWithConcurrency(projects.data, async (project) => {
    const base = `/v2-beta/projects/${project.id}`;
    const registries = (await call('GET', `${base}/registries`)).data;
    const credentials = (await call('GET', `${base}/registrycredentials`)).data;
    for (const host of hosts) {
      const registry = registries.find((candidate) => candidate.serverAddress === host);
      const credential = credentials.find((candidate) => candidate.registryId === registry?.id);
      await call('PUT', `${base}/registrycredentials/${credential?.id}`, {
        publicValue: 'AWS',
        secretValue: PASSWORD,
        description: 'floor',
      });
    }
  });
}

/** The floor: the same requests from the least code that can make them (node:http, keep-alive). */
async function runFloor(origin: string, key: CattleKey): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const authorization = `Basic ${Buffer.from(`${key.accessKey}:${key.secretKey}`).toString('base64')}`;
  const call: Call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = {
        authorization,
        accept: 'application/json',
        ...(text === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
      };
      const req = request(`${origin}${path}`, { method, agent, headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(data))
            : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      });
      req.once('error', reject);
      req.end(text);
    });
  await sameRequests(call);
  agent.destroy();
}

/** Runs `work` on every item, at most CONCURRENCY at a time, as the sink does per environment. */
async function eachWithConcurrency<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function hundredths(value: number): number {
  return Math.round(value * 100) / 100;
}

const startedAt = Date.now();
const cattle = await startCattle();
try {
  const seeding = Date.now();
  const key = await seed(cattle);
  process.stderr.write(
    `[bench] Cattle started in ${(cattle.startMs / 1000).toFixed(1)} s, seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s\n`,
  );
  const subjects = { sink: runSink, floor: runFloor };
  // Requests per registry, counted once through a recording proxy; the timed runs go direct.
  const recorder = await startFaultProxy(cattle.origin);
  const requests: Record<string, number> = {};
  for (const name of ['sink', 'floor'] as const) {
    const before = recorder.requests.length;
    await subjects[name](recorder.url, key);
    requests[name] = recorder.requests.length - before;
  }
  await recorder.stop();
  // Interleaved rounds, after the warm-up above, so machine noise hits both alike.
  const samples: Record<'sink' | 'floor', number[]> = { sink: [], floor: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of ['sink', 'floor'] as const) {
      const started = process.hrtime.bigint();
      await subjects[name](cattle.origin, key);
      samples[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const figures = (name: 'sink' | 'floor') => ({
    wallMs: summarize(samples[name]),
    requestsPerRegistry: hundredths((requests[name] ?? Number.NaN) / (ENVIRONMENTS * REGISTRIES)),
  });
  const sink = figures('sink');
  const floor = figures('floor');
  const ratio = hundredths(sink.wallMs.median / floor.wallMs.median);
  const roundRatios = samples.sink
    .map((ms, index) => ms / (samples.floor[index] ?? Number.NaN))
    .sort((a, b) => a - b);
  const result = {
    benchmark: 'rancher1',
    machine: describeMachine(),
    shape: {
      environments: ENVIRONMENTS,
      registriesPerEnvironment: REGISTRIES,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      server: `real Cattle ${cattle.version} (Rancher 1.6.30), H2, loopback`,
    },
    cattle: { startMs: cattle.startMs },
    sink,
    floor,
    sinkToFloorWallRatio: ratio,
    roundRatioRange: [
      hundredths(roundRatios[0] ?? Number.NaN),
      hundredths(roundRatios.at(-1) ?? Number.NaN),
    ],
    goal: `sink within ${GOAL}x of the floor, no more requests per registry`,
    met: ratio <= GOAL && sink.requestsPerRegistry <= floor.requestsPerRegistry,
    totalMs: Date.now() - startedAt,
  };
  writeFileSync(
    join(import.meta.dirname, 'results', 'rancher1.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  await cattle.stop();
}
