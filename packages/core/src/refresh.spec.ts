import assert from 'node:assert/strict';
import type { AwsAuthError } from './errors.ts';
import { createFakeEcr } from './__fixtures__/fake-ecr.ts';
import { parseRegistry } from './registry/registry-target.ts';
import { createTokenSource } from './token/token-source.ts';
import type { CredentialRecord } from './credential/registry-credential.ts';
import type { ApplyContext, Sink, TargetResult } from './sink/sink.ts';
import { refresh } from './refresh.ts';

const registries = [parseRegistry('123456789012:eu-west-1')];

/** A sink with in-memory targets, each holding the record of what was last written there. */
function memorySink(
  id: string,
  targets: Record<string, CredentialRecord | undefined>,
): Sink & { writes: string[] } {
  const writes: string[] = [];
  return {
    id,
    writes,
    async validate() {
      return [];
    },
    async apply(context: ApplyContext) {
      const results: TargetResult[] = [];
      for (const [target, record] of Object.entries(targets)) {
        if (!context.needsRefresh(record)) {
          results.push({ sink: id, target, action: 'unchanged', ...(record ? { record } : {}) });
          continue;
        }
        try {
          const credential = (await context.credentials()).get(registries[0]?.host ?? '');
          if (!context.dryRun) writes.push(target);
          const next = {
            hosts: [credential?.host ?? ''],
            fetchedAt: credential?.fetchedAt ?? new Date(),
            expiresAt: credential?.expiresAt ?? new Date(),
          };
          targets[target] = next;
          results.push({ sink: id, target, action: record ? 'updated' : 'created', record: next });
        } catch (error) {
          results.push({ sink: id, target, action: 'failed', error: error as AwsAuthError });
        }
      }
      return results;
    },
  };
}

describe('core/refresh', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const fresh: CredentialRecord = {
    hosts: [registries[0]?.host ?? ''],
    fetchedAt: new Date('2026-02-28T23:00:00Z'),
    expiresAt: new Date('2026-03-01T11:00:00Z'),
  };

  it('fetches once for every target of every sink that needs it and aggregates the results', async () => {
    const ecr = createFakeEcr();
    const a = memorySink('a', { one: undefined, two: fresh });
    const b = memorySink('b', { three: { ...fresh, fetchedAt: new Date('2026-02-28T00:00:00Z') } });
    const report = await refresh({
      registries,
      sinks: [a, b],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory }),
      clock: () => now,
    });
    assert.equal(ecr.calls.length, 1);
    assert.equal(report.ecrCalls, 1);
    assert.deepEqual(report.totals, { created: 1, updated: 1, unchanged: 1, failed: 0 });
    assert.deepEqual([...a.writes, ...b.writes], ['one', 'three']);
  });

  it('makes no ECR call and no write when every target is fresh', async () => {
    const ecr = createFakeEcr();
    const sink = memorySink('a', { one: fresh, two: fresh });
    const report = await refresh({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory }),
      clock: () => now,
    });
    assert.equal(ecr.calls.length, 0);
    assert.deepEqual(sink.writes, []);
    assert.equal(report.totals.unchanged, 2);
    assert.equal(report.nextRefreshAt?.toISOString(), '2026-03-01T05:00:00.000Z');
  });

  it('writes fresh targets too when forced', async () => {
    const ecr = createFakeEcr();
    const sink = memorySink('a', { one: fresh });
    await refresh({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory }),
      clock: () => now,
      force: true,
    });
    assert.deepEqual(sink.writes, ['one']);
  });

  it('reports the fetch error on every target that needed credentials, and keeps the fresh ones', async () => {
    const ecr = createFakeEcr();
    ecr.failWith({
      name: 'UnrecognizedClientException',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    const sink = memorySink('a', { stale: undefined, ok: fresh });
    const report = await refresh({
      registries,
      sinks: [sink],
      tokenSource: createTokenSource({ ecrApiFactory: ecr.factory }),
      clock: () => now,
    });
    assert.equal(report.fetchError?.code, 'ERR_AWS_AUTH');
    assert.deepEqual(report.totals, { created: 0, updated: 0, unchanged: 1, failed: 1 });
    assert.equal(
      report.results.find((result) => result.target === 'stale')?.error?.code,
      'ERR_AWS_AUTH',
    );
  });

  it('turns a sink that throws into one failed result and still runs the other sinks', async () => {
    const broken: Sink = {
      id: 'broken',
      validate: async () => [],
      apply: async () => Promise.reject(new Error('boom')),
    };
    const ok = memorySink('ok', { one: undefined });
    const report = await refresh({
      registries,
      sinks: [broken, ok],
      tokenSource: createTokenSource({ ecrApiFactory: createFakeEcr().factory }),
      clock: () => now,
    });
    assert.deepEqual(report.totals, { created: 1, updated: 0, unchanged: 0, failed: 1 });
    const failure = report.results.find((result) => result.sink === 'broken');
    assert.equal(failure?.error?.code, 'ERR_SINK_WRITE');
    assert.match(failure?.error?.message ?? '', /boom/);
  });
});
