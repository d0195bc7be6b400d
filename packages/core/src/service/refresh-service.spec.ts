import assert from 'node:assert/strict';
import { createFakeEcr } from '../__fixtures__/fake-ecr.ts';
import type { CredentialRecord } from '../credential/registry-credential.ts';
import { parseRegistry } from '../registry/registry-target.ts';
import type { Sink, TargetResult, WatchOptions } from '../sink/sink.ts';
import { createTokenSource } from '../token/token-source.ts';
import type { HealthState } from './health-server.ts';
import { createServiceMetrics } from './metrics.ts';
import { runRefreshService } from './refresh-service.ts';
import { DEFAULT_SCHEDULE } from './schedule.ts';
import type { WakeUp } from './wake-up.ts';

const registries = [parseRegistry('123456789012:eu-west-1')];
const HOUR = 3600_000;

/** A clock that only moves when the service sleeps: each sleep is recorded and returns at once. */
function fakeTime(start = new Date('2026-05-01T00:00:00Z')) {
  let now = start.getTime();
  const sleeps: number[] = [];
  const triggers: string[] = [];
  const wakeUp: WakeUp = {
    trigger: (reason) => triggers.push(reason),
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
      return triggers.shift() ?? 'timer';
    },
  };
  return {
    clock: () => new Date(now),
    sleeps,
    wakeUp,
    triggers,
    advance: (ms: number) => (now += ms),
  };
}

/** A sink with one target that records what it wrote, like a real one would. */
function oneTargetSink(
  options: { failWrites?: () => boolean } = {},
): Sink & { writes: number; record?: CredentialRecord } {
  const sink: Sink & { writes: number; record?: CredentialRecord } = {
    id: 'memory',
    writes: 0,
    async validate() {
      return [];
    },
    async apply(context) {
      const record = sink.record;
      if (!context.needsRefresh(record))
        return [
          { sink: 'memory', target: 't', action: 'unchanged', ...(record ? { record } : {}) },
        ];
      try {
        const credential = (await context.credentials()).get(registries[0]?.host ?? '');
        if (credential === undefined || options.failWrites?.() === true)
          throw new Error('write failed');
        sink.writes += 1;
        sink.record = {
          hosts: [credential.host],
          fetchedAt: credential.fetchedAt,
          expiresAt: credential.expiresAt,
        };
        return [
          {
            sink: 'memory',
            target: 't',
            action: record ? 'updated' : 'created',
            record: sink.record,
          } satisfies TargetResult,
        ];
      } catch (error) {
        return [
          {
            sink: 'memory',
            target: 't',
            action: 'failed',
            error: error as never,
            ...(record ? { record } : {}),
          },
        ];
      }
    },
  };
  return sink;
}

/** A fake ECR whose tokens live 12 h on the fake clock. */
function ecrOn(time: ReturnType<typeof fakeTime>) {
  return createFakeEcr(() => [
    {
      authorizationToken: Buffer.from('AWS:pw-0123456789').toString('base64'),
      expiresAt: new Date(time.clock().getTime() + 12 * HOUR),
    },
  ]);
}

describe('core/service/refresh-service', () => {
  const noJitter = { ...DEFAULT_SCHEDULE, jitter: 0 };

  it('sleeps until each half-life and fetches once per half-life', async () => {
    const time = fakeTime();
    const ecr = ecrOn(time);
    const sink = oneTargetSink();
    await runRefreshService({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory, clock: time.clock }),
      signal: new AbortController().signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      schedule: { ...noJitter, maxIntervalMs: 24 * HOUR },
      maxCycles: 3,
    });
    // Three cycles, two sleeps between them.
    assert.deepEqual(time.sleeps, [6 * HOUR, 6 * HOUR]);
    assert.equal(ecr.calls.length, 3);
    assert.equal(sink.writes, 3);
  });

  it('waits instead of spinning when ECR reports an expiry in the past', async () => {
    const time = fakeTime();
    const ecr = createFakeEcr(() => [
      {
        authorizationToken: Buffer.from('AWS:pw-0123456789').toString('base64'),
        expiresAt: new Date('2015-01-01T00:00:00Z'),
      },
    ]);
    await runRefreshService({
      registries,
      sinks: [oneTargetSink()],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory, clock: time.clock }),
      signal: new AbortController().signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      schedule: noJitter,
      maxCycles: 5,
    });
    assert.ok(
      time.sleeps.every((ms) => ms >= DEFAULT_SCHEDULE.minIntervalMs),
      time.sleeps.join(','),
    );
    // The documented 12 hour lifetime is assumed, so the token fetched first serves every cycle.
    assert.equal(ecr.calls.length, 1);
    assert.equal(time.sleeps.length, 4);
  });

  it('backs off exponentially up to the cap while failing, and says when pulls will break', async () => {
    const time = fakeTime();
    const ecr = ecrOn(time);
    const sink = oneTargetSink();
    const health: HealthState = { ready: false, reason: '' };
    const metrics = await createServiceMetrics();
    let cycles = 0;
    await runRefreshService({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory, clock: time.clock }),
      signal: new AbortController().signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      schedule: { ...noJitter, maxIntervalMs: 24 * HOUR },
      maxCycles: 100,
      health,
      metrics,
      random: () => 1,
      onCycle: () => {
        cycles += 1;
        // The first cycle succeeds; from then on ECR fails for good.
        if (cycles === 1)
          ecr.failWith({
            name: 'ServiceUnavailableException',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
      },
    });
    assert.equal(time.sleeps[0], 6 * HOUR);
    time.sleeps.shift();
    assert.deepEqual(
      time.sleeps.slice(0, 8),
      [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
    );
    assert.ok(time.sleeps.every((ms) => ms <= DEFAULT_SCHEDULE.backoffMaxMs));
    // 99 failures at up to 5 minutes each pass the 12 h expiry: the service must say so.
    assert.equal(health.ready, false);
    assert.match(health.reason, /expire before the next attempt/);
    assert.match(await metrics.registry.metrics(), /ecr_refresh_expiring_before_retry_total [1-9]/);
  });

  it('is unready until the first refresh succeeds', async () => {
    const time = fakeTime();
    const ecr = createFakeEcr();
    ecr.failWith({
      name: 'UnrecognizedClientException',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    const health: HealthState = { ready: true, reason: '' };
    await runRefreshService({
      registries,
      sinks: [oneTargetSink()],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory, clock: time.clock }),
      signal: new AbortController().signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      maxCycles: 2,
      health,
    });
    assert.equal(health.ready, false);
    assert.match(health.reason, /first refresh failed/);
  });

  it('refreshes at once when a sink reports a change, reusing the token it holds', async () => {
    const time = fakeTime();
    const ecr = ecrOn(time);
    const sink = oneTargetSink();
    let onChange: ((reason: string) => void) | undefined;
    sink.watch = async (options: WatchOptions) => {
      onChange = options.onChange;
    };
    let cycle = 0;
    await runRefreshService({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory, clock: time.clock }),
      signal: new AbortController().signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      maxCycles: 2,
      onCycle: () => {
        cycle += 1;
        if (cycle === 1) {
          // Someone deleted what the sink manages: it notices and reports the change.
          delete sink.record;
          onChange?.('secret deleted');
        }
      },
    });
    assert.equal(sink.writes, 2);
    assert.equal(ecr.calls.length, 1, 'the second write reuses the cached token');
  });

  it('stops when its signal aborts and runs no further cycle', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    const sink = oneTargetSink();
    await runRefreshService({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: createFakeEcr().factory, clock: time.clock }),
      signal: stop.signal,
      clock: time.clock,
      wakeUp: time.wakeUp,
      onCycle: () => stop.abort(),
    });
    assert.equal(sink.writes, 1);
  });
});
