import assert from 'node:assert/strict';
import { AwsAuthError, SinkWriteError } from '../errors.ts';
import type { RefreshReport } from '../refresh.ts';
import type { TargetAction, TargetResult } from '../sink/sink.ts';
import { createServiceMetrics, type ServiceMetrics } from './metrics.ts';

const CLUSTER_SUCCESS = 'ecr_refresh_cluster_last_success_timestamp_seconds';

/** A result of the k8s sink in `cluster` (or of a sink without clusters when it is undefined). */
function result(cluster: string | undefined, action: TargetAction): TargetResult {
  const sink = cluster === undefined ? 'docker-config' : 'k8s';
  const target = cluster === undefined ? '/root/.docker/config.json' : `${cluster}/default`;
  return {
    sink,
    target,
    ...(cluster === undefined ? {} : { cluster }),
    action,
    ...(action === 'failed'
      ? { error: new SinkWriteError(sink, target, 'the API server said 503', { retryable: true }) }
      : {}),
  };
}

/** A cycle of `results` that finished at `finishedAt` (seconds since the epoch). */
function cycle(finishedAt: number, results: TargetResult[]): RefreshReport {
  const totals = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const { action } of results) totals[action] += 1;
  return {
    results,
    totals,
    ecrCalls: 0,
    startedAt: new Date((finishedAt - 1) * 1000),
    finishedAt: new Date(finishedAt * 1000),
  };
}

/** The lines of the exposition text that render `name`'s series (not its HELP and TYPE). */
async function series(metrics: ServiceMetrics, name: string): Promise<string[]> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('core/service/metrics', () => {
  it('labels target results and failures by cluster, empty for sinks without clusters', async () => {
    const metrics = await createServiceMetrics();
    const authFailure: TargetResult = {
      ...result(undefined, 'failed'),
      error: new AwsAuthError('the credentials were refused'),
    };
    metrics.observe(
      cycle(1000, [
        result('prod', 'created'),
        result('prod', 'created'),
        result('staging', 'failed'),
        authFailure,
      ]),
      new Map(),
    );
    assert.deepEqual(await series(metrics, 'ecr_refresh_target_results_total'), [
      'ecr_refresh_target_results_total{sink="k8s",action="created",cluster="prod"} 2',
      'ecr_refresh_target_results_total{sink="k8s",action="failed",cluster="staging"} 1',
      'ecr_refresh_target_results_total{sink="docker-config",action="failed",cluster=""} 1',
    ]);
    assert.deepEqual(await series(metrics, 'ecr_refresh_failures_total'), [
      'ecr_refresh_failures_total{code="ERR_SINK_WRITE",cluster="staging"} 1',
      'ecr_refresh_failures_total{code="ERR_AWS_AUTH",cluster=""} 1',
    ]);
  });

  it('tells when each cluster last had a cycle without failure; 0 until it has had one', async () => {
    const metrics = await createServiceMetrics();
    metrics.observe(
      cycle(1000, [
        result('prod', 'created'),
        result('staging', 'failed'),
        result(undefined, 'created'),
      ]),
      new Map(),
    );
    assert.deepEqual(await series(metrics, CLUSTER_SUCCESS), [
      `${CLUSTER_SUCCESS}{cluster="prod"} 1000`,
      `${CLUSTER_SUCCESS}{cluster="staging"} 0`,
    ]);
    // One namespace of prod fails: prod keeps the time of its last clean cycle.
    metrics.observe(
      cycle(2000, [
        result('prod', 'unchanged'),
        result('prod', 'failed'),
        result('staging', 'updated'),
      ]),
      new Map(),
    );
    assert.deepEqual(await series(metrics, CLUSTER_SUCCESS), [
      `${CLUSTER_SUCCESS}{cluster="prod"} 1000`,
      `${CLUSTER_SUCCESS}{cluster="staging"} 2000`,
    ]);
  });

  it("removes the series of a cluster that a cycle no longer names, and only that one's", async () => {
    const metrics = await createServiceMetrics();
    metrics.observe(
      cycle(1000, [result('prod', 'created'), result('gone', 'created'), result('late', 'failed')]),
      new Map(),
    );
    metrics.observe(
      cycle(2000, [result('prod', 'unchanged'), result('late', 'failed')]),
      new Map(),
    );
    assert.deepEqual(await series(metrics, CLUSTER_SUCCESS), [
      `${CLUSTER_SUCCESS}{cluster="prod"} 2000`,
      `${CLUSTER_SUCCESS}{cluster="late"} 0`,
    ]);
    // A cluster that comes back is a new series again.
    metrics.observe(cycle(3000, [result('gone', 'created')]), new Map());
    assert.deepEqual(await series(metrics, CLUSTER_SUCCESS), [
      `${CLUSTER_SUCCESS}{cluster="gone"} 3000`,
    ]);
  });

  it('keeps every series while a failure names no cluster (the fleet could not be listed)', async () => {
    const metrics = await createServiceMetrics();
    metrics.observe(
      cycle(1000, [result('prod', 'created'), result('staging', 'created')]),
      new Map(),
    );
    const fleetUnlisted: TargetResult = {
      sink: 'k8s',
      target: 'rancher',
      action: 'failed',
      error: new SinkWriteError('k8s', 'rancher', "cannot list Rancher's clusters", {
        retryable: true,
      }),
    };
    metrics.observe(cycle(2000, [fleetUnlisted]), new Map());
    assert.deepEqual(await series(metrics, CLUSTER_SUCCESS), [
      `${CLUSTER_SUCCESS}{cluster="prod"} 1000`,
      `${CLUSTER_SUCCESS}{cluster="staging"} 1000`,
    ]);
    assert.match(
      await metrics.registry.metrics(),
      /^ecr_refresh_failures_total\{code="ERR_SINK_WRITE",cluster=""\} 1$/m,
    );
  });
});
