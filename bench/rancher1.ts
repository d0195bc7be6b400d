// Rancher 1.x sink benchmark (issue 5): 20 environments × 10 registries, every credential
// rewritten (a forced run), against the Rancher 1.x API test server in this process. The floor
// is a minimal client making the same requests (list projects; per environment list registries
// and credentials, then one PUT per credential) with node:http, a keep-alive agent and the same
// concurrency, measured interleaved with the sink in the same run. Two server latencies: 0 ms
// (client CPU only: got's per-request cost shows) and 5 ms per answer (closer to a real Cattle,
// where every request costs at least a database round trip). A bare got client making the same
// requests is measured too, as a reference for what got itself costs per request.
// Writes bench/results/rancher1.json.
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry, silentLogger, type ApplyContext, type RegistryCredential } from '@ecr-refresh/core';
import { createRancher1Sink } from '@ecr-refresh/rancher1';
import got from 'got';
import { startRancher1, type Rancher1, type Rancher1Key } from '../test/peers/index.ts';
import { describeMachine, summarize } from './machine.ts';

const ENVIRONMENTS = 20;
const REGISTRIES = 10;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 10);
const CONCURRENCY = 4;
const LATENCIES_MS = [0, 5];
const PASSWORD = 'bench-ecr-password-0123456789';
const hosts = Array.from({ length: REGISTRIES }, (_, index) => `1234567890${String(index).padStart(2, '0')}.dkr.ecr.eu-west-1.amazonaws.com`);

/** A server with ENVIRONMENTS environments of REGISTRIES registries, each with one credential, and an owner's account key. */
async function seededServer(latencyMs: number): Promise<{ rancher: Rancher1; key: Rancher1Key }> {
  const rancher = await startRancher1({ latencyMs });
  const roles: Record<string, 'owner'> = {};
  for (let index = 0; index < ENVIRONMENTS; index += 1) {
    const environment = rancher.createEnvironment(`bench-${index}`);
    roles[environment.id] = 'owner';
    for (const host of hosts) {
      const registry = rancher.addRegistry(environment.id, host);
      rancher.addCredential(environment.id, registry.id, { publicValue: 'AWS', secretValue: 'old-password' });
    }
  }
  return { rancher, key: rancher.createAccountKey(roles) };
}

/** A forced run's context: every target needs refreshing, credentials are at hand (no ECR). */
function forcedContext(): ApplyContext {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 12 * 3600_000);
  const credentials = new Map<string, RegistryCredential>(hosts.map((host) => [host, { host, username: 'AWS', password: PASSWORD, auth: '', fetchedAt: now, expiresAt }]));
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

async function runSink(rancher: Rancher1, key: Rancher1Key): Promise<void> {
  const sink = createRancher1Sink({ url: `${rancher.origin}/v2-beta`, accessKey: key.accessKey, secretKey: key.secretKey, concurrency: CONCURRENCY });
  const results = await sink.apply(forcedContext());
  const updated = results.filter((result) => result.action === 'updated').length;
  if (updated !== ENVIRONMENTS * REGISTRIES) throw new Error(`sink updated ${updated}: ${results.find((result) => result.error)?.error?.message}`);
}

/** One Cattle API call: method, path, optional JSON body; resolves with the parsed answer. */
type Call = (method: string, path: string, body?: object) => Promise<{ data: Array<Record<string, string>> }>;

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
      await call('PUT', `${base}/registrycredentials/${credential?.id}`, { publicValue: 'AWS', secretValue: PASSWORD, description: 'floor' });
    }
  });
}

function basicAuthorization(key: Rancher1Key): string {
  return `Basic ${Buffer.from(`${key.accessKey}:${key.secretKey}`).toString('base64')}`;
}

/** The floor: the same requests from the least code that can make them (node:http, keep-alive). */
async function runFloor(rancher: Rancher1, key: Rancher1Key): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const authorization = basicAuthorization(key);
  const call: Call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = { authorization, accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }) };
      const req = request(`${rancher.origin}${path}`, { method, agent, headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
      });
      req.once('error', reject);
      req.end(text);
    });
  await sameRequests(call);
  agent.destroy();
}

/**
 * Not a goal, a reference: the same requests from a bare got client (one instance, the agent and
 * headers, nothing else). The sink is built on got (issue 5), so this is what got itself costs.
 */
async function runBareGot(rancher: Rancher1, key: Rancher1Key): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const client = got.extend({ prefixUrl: rancher.origin, agent: { http: agent }, headers: { authorization: basicAuthorization(key), accept: 'application/json' }, retry: { limit: 0 }, responseType: 'json' });
  await sameRequests((method, path, body) => client(path.slice(1), { method: method as 'GET' | 'PUT', ...(body === undefined ? {} : { json: body }) }).json());
  agent.destroy();
}

/** Runs `work` on every item, at most CONCURRENCY at a time, as the sink does per environment. */
async function eachWithConcurrency<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function benchmark(latencyMs: number): Promise<Record<string, unknown>> {
  const { rancher, key } = await seededServer(latencyMs);
  const subjects = { sink: runSink, floor: runFloor, bareGot: runBareGot };
  const samples = { sink: [] as Array<{ ms: number; requests: number }>, floor: [] as Array<{ ms: number; requests: number }>, bareGot: [] as Array<{ ms: number; requests: number }> };
  const measure = async (name: keyof typeof subjects): Promise<{ ms: number; requests: number }> => {
    const before = rancher.requests.length;
    const started = process.hrtime.bigint();
    await subjects[name](rancher, key);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, requests: rancher.requests.length - before };
  };
  // One warm-up each (JIT, sockets), then interleaved rounds so machine noise hits both alike.
  await measure('sink');
  await measure('floor');
  await measure('bareGot');
  for (let round = 0; round < ROUNDS; round += 1) {
    samples.sink.push(await measure('sink'));
    samples.floor.push(await measure('floor'));
    samples.bareGot.push(await measure('bareGot'));
  }
  await rancher.stop();
  const figures = (runs: ReadonlyArray<{ ms: number; requests: number }>) => ({
    wallMs: summarize(runs.map((run) => run.ms)),
    requestsPerRegistry: hundredths((runs[0]?.requests ?? Number.NaN) / (ENVIRONMENTS * REGISTRIES)),
  });
  const sink = figures(samples.sink);
  const floor = figures(samples.floor);
  const bareGot = figures(samples.bareGot);
  return {
    serverLatencyMs: latencyMs,
    sink,
    floor,
    bareGot,
    sinkToFloorWallRatio: hundredths(sink.wallMs.median / floor.wallMs.median),
    bareGotToFloorWallRatio: hundredths(bareGot.wallMs.median / floor.wallMs.median),
    sinkToBareGotWallRatio: hundredths(sink.wallMs.median / bareGot.wallMs.median),
  };
}

function hundredths(value: number): number {
  return Math.round(value * 100) / 100;
}

const runs = [];
for (const latencyMs of LATENCIES_MS) runs.push(await benchmark(latencyMs));
const result = {
  benchmark: 'rancher1',
  machine: describeMachine(),
  shape: { environments: ENVIRONMENTS, registriesPerEnvironment: REGISTRIES, concurrency: CONCURRENCY, rounds: ROUNDS, server: 'Rancher 1.x API test server, same process, loopback' },
  runs,
  goal: 'sink within 1.5x of the floor',
};
writeFileSync(join(import.meta.dirname, 'results', 'rancher1.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
