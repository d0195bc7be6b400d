import assert from 'node:assert/strict';
import { AwsAuthError, ConfigError, SinkWriteError, silentLogger } from '@ecr-refresh/core';
import { FakeKubeApi } from './__fixtures__/fake-kube-api.ts';
import { contextFor, PASSWORD } from './__fixtures__/apply-context.ts';
import { KubernetesApiError, SecretConflictError } from './errors.ts';
import { createFailureEvents, eventReasonOf } from './failure-events.ts';
import { createKubernetesSink } from './kubernetes-sink.ts';

const MINUTE = 60_000;
const SECRET_REF = {
  apiVersion: 'v1',
  kind: 'Secret',
  name: 'ecr-pull-credentials',
  namespace: 'team-a',
  uid: 'u-1',
};

/** A context at `now` that keeps `<level>: <message>` log lines. */
function at(now: number, lines: string[] = [], overrides: { dryRun?: boolean } = {}) {
  const log = (level: string) => (_fields: object | string, message?: string) =>
    lines.push(`${level}: ${message ?? ''}`);
  const logger = { ...silentLogger, debug: log('debug'), warn: log('warn'), child: () => logger };
  return {
    dryRun: overrides.dryRun ?? false,
    signal: new AbortController().signal,
    logger,
    now: () => new Date(now),
  };
}

describe('k8s/failure-events', () => {
  let api: FakeKubeApi;
  const start = Date.parse('2026-12-02T12:00:00Z');
  beforeEach(() => {
    api = new FakeKubeApi();
  });
  const conflict = new SecretConflictError(
    'k8s',
    'prod/team-a',
    'Secret team-a/ecr-pull-credentials exists with type Opaque',
  );

  it('creates one Warning Event on the Secret, with the reason, the message as note and the fields the API requires', async () => {
    const events = createFailureEvents({ instance: 'ecr-refresh-pod-1' });
    await events.record(
      { cluster: 'prod', api, namespace: 'team-a', secret: SECRET_REF, error: conflict },
      at(start),
    );
    const [event] = [...api.events.values()];
    assert.deepEqual(
      { ...event, metadata: { ...event?.metadata, name: '<name>' } },
      {
        metadata: { name: '<name>', namespace: 'team-a' },
        eventTime: '2026-12-02T12:00:00.000000Z',
        reportingController: 'ecr-refresh',
        reportingInstance: 'ecr-refresh-pod-1',
        action: 'Refresh',
        reason: 'SecretConflict',
        regarding: SECRET_REF,
        note: conflict.message,
        type: 'Warning',
      },
    );
    assert.match(event?.metadata.name ?? '', /^ecr-pull-credentials\.[0-9a-f]+$/);
  });

  it('regards the Namespace when no Secret was seen, in namespace default as the API wants for a cluster-scoped object', async () => {
    const forbidden = new KubernetesApiError(
      'prod/team-b',
      {
        method: 'POST',
        path: '/api/v1/namespaces/team-b/secrets',
        status: 403,
        reason: 'Forbidden',
      },
      'secrets is forbidden',
    );
    await createFailureEvents().record(
      { cluster: 'prod', api, namespace: 'team-b', error: forbidden },
      at(start),
    );
    const [event] = [...api.events.values()];
    assert.equal(event?.metadata.namespace, 'default');
    assert.equal(event?.reason, 'Forbidden');
    assert.deepEqual(event?.regarding, { apiVersion: 'v1', kind: 'Namespace', name: 'team-b' });
  });

  it('writes at most once per object and reason per interval: repeats are counted, then written as a series', async () => {
    const events = createFailureEvents({ intervalMs: 10 * MINUTE });
    const failure = {
      cluster: 'prod',
      api,
      namespace: 'team-a',
      secret: SECRET_REF,
      error: conflict,
    };
    // A service retrying every few minutes: 1 create, 4 more occurrences within 10 minutes, no write.
    for (const minute of [0, 2, 4, 6, 8]) await events.record(failure, at(start + minute * MINUTE));
    assert.deepEqual(
      api.requests.map((request) => request.split(' ')[0]),
      ['create'],
    );
    // The first recurrence after the interval writes the count (6 occurrences) with one patch.
    await events.record(failure, at(start + 10 * MINUTE));
    const [event] = [...api.events.values()];
    assert.deepEqual(event?.series, {
      count: 6,
      lastObservedTime: new Date(start + 10 * MINUTE).toISOString().replace('Z', '000Z'),
    });
    assert.deepEqual(
      api.requests.map((request) => request.split(' ')[0]),
      ['create', 'patch'],
    );
    // Another reason on the same object is another Event; so is another object.
    await events.record(
      {
        ...failure,
        error: new ConfigError('Secret team-a/ecr-pull-credentials .dockerconfigjson is not JSON'),
      },
      at(start + 11 * MINUTE),
    );
    await events.record(
      { ...failure, namespace: 'team-c', secret: { ...SECRET_REF, namespace: 'team-c' } },
      at(start + 11 * MINUTE),
    );
    assert.equal(api.events.size, 3);
  });

  it('starts a new Event once a series has been quiet for longer than the interval, or its Event expired', async () => {
    const events = createFailureEvents({ intervalMs: 10 * MINUTE });
    const failure = {
      cluster: 'prod',
      api,
      namespace: 'team-a',
      secret: SECRET_REF,
      error: conflict,
    };
    await events.record(failure, at(start));
    await events.record(failure, at(start + 21 * MINUTE));
    assert.equal(api.events.size, 2);
    await events.record(failure, at(start + 25 * MINUTE));
    api.events.clear();
    await events.record(failure, at(start + 35 * MINUTE));
    assert.deepEqual(
      api.requests.map((request) => request.split(' ')[0]),
      ['create', 'create', 'patch', 'create'],
    );
    assert.equal([...api.events.values()][0]?.series, undefined);
  });

  it('never fails the run: a refused write is a warning once, then debug lines; nothing in a dry run or when the API server fails', async () => {
    api.forbidden = ['create events/'];
    const lines: string[] = [];
    const events = createFailureEvents();
    await events.record(
      { cluster: 'prod', api, namespace: 'team-a', secret: SECRET_REF, error: conflict },
      at(start, lines),
    );
    await events.record(
      { cluster: 'prod', api, namespace: 'team-b', error: conflict },
      at(start, lines),
    );
    assert.deepEqual(lines, [
      'warn: not allowed to write Events (grant create and patch on events.k8s.io events, or pass --no-events): the failure is only logged',
      'debug: not allowed to write Events (grant create and patch on events.k8s.io events, or pass --no-events): the failure is only logged',
    ]);
    api.forbidden = [];
    await events.record(
      { cluster: 'prod', api, namespace: 'team-d', error: conflict },
      at(start, lines, { dryRun: true }),
    );
    // The API server itself failing (no answer, 5xx): an Event would only add to its trouble.
    for (const status of [undefined, 503]) {
      const down = new KubernetesApiError(
        'prod/team-e',
        { method: 'GET', path: '/api/v1/namespaces/team-e/secrets/x', status },
        'no answer',
      );
      await events.record(
        { cluster: 'prod', api, namespace: 'team-e', error: down },
        at(start, lines),
      );
    }
    assert.equal(api.events.size, 0);
    assert.equal(
      api.requests.filter(
        (request) =>
          !request.startsWith('create events/team-a/') &&
          !request.startsWith('create events/default/'),
      ).length,
      0,
    );
  });

  it('names the kind of failure in the reason', () => {
    const status = (code: number) =>
      new KubernetesApiError('t', { method: 'PUT', path: '/p', status: code }, 'm');
    assert.equal(eventReasonOf(status(403)), 'Forbidden');
    assert.equal(eventReasonOf(status(500)), 'RefreshFailed');
    assert.equal(eventReasonOf(new AwsAuthError('no credentials')), 'CredentialsUnavailable');
    assert.equal(eventReasonOf(new SinkWriteError('k8s', 't', 'm')), 'RefreshFailed');
  });

  describe('from the sink', () => {
    beforeEach(() => {
      for (const namespace of ['team-a', 'team-b']) {
        api.addNamespace(namespace);
        api.addServiceAccount(namespace, 'default');
      }
      api.putSecret('team-b', {
        metadata: { name: 'ecr-pull-credentials', uid: 'uid-b' },
        type: 'Opaque',
        data: {},
      });
    });

    it('one Event per failed namespace, none for those that succeeded, none with --no-events; no secret in any', async () => {
      const sink = createKubernetesSink(
        { namespaces: ['team-a', 'team-b'] },
        { clusters: [{ context: 'prod', namespace: 'team-a', api }] },
      );
      const context = contextFor();
      await sink.apply(context);
      await sink.apply(context);
      const events = [...api.events.values()];
      assert.deepEqual(
        events.map((event) => [
          event.metadata.namespace,
          event.reason,
          event.regarding.kind,
          event.regarding.uid,
        ]),
        [['team-b', 'SecretConflict', 'Secret', 'uid-b']],
      );
      assert.doesNotMatch(
        JSON.stringify(events),
        new RegExp(`${PASSWORD}|${Buffer.from(`AWS:${PASSWORD}`).toString('base64')}`),
      );
      const quiet = new FakeKubeApi();
      quiet.addNamespace('team-b');
      quiet.putSecret('team-b', {
        metadata: { name: 'ecr-pull-credentials' },
        type: 'Opaque',
        data: {},
      });
      const results = await createKubernetesSink(
        { namespaces: ['team-b'], events: false },
        { clusters: [{ context: 'prod', namespace: 'team-b', api: quiet }] },
      ).apply(contextFor());
      assert.equal(results[0]?.action, 'failed');
      assert.equal(quiet.events.size, 0);
    });
  });
});
