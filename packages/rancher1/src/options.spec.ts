import assert from 'node:assert/strict';
import { ConfigError } from '@ecr-refresh/core';
import { resolveRancher1Options, validateRancher1SinkOptions } from './options.ts';

const valid = {
  url: 'http://rancher:8080/v1',
  accessKey: 'ABCDEF0123456789',
  secretKey: 's3cr3t-value-for-options-spec',
};

describe('rancher1/options', () => {
  it('fills defaults and normalises the URL', () => {
    const options = resolveRancher1Options(valid);
    assert.deepEqual(options.endpoint, { apiRoot: 'http://rancher:8080/v1', version: 'v1' });
    assert.deepEqual(
      {
        environments: options.environments,
        autoCreate: options.autoCreate,
        activate: options.activate,
        concurrency: options.concurrency,
        retry: options.retry,
      },
      {
        environments: [],
        autoCreate: false,
        activate: false,
        concurrency: 4,
        retry: { limit: 3, baseDelayMs: 1000 },
      },
    );
  });

  it('reports every problem at once, each naming its option, never quoting the secret', () => {
    const secret = 'pasted secret\nwith a newline';
    const problems = validateRancher1SinkOptions({
      url: 'rancher:8080',
      accessKey: 'AB CD',
      secretKey: secret,
      concurrency: 0,
      colour: 'blue',
    });
    const paths = problems.map((problem) => problem.path).sort();
    assert.deepEqual(paths, ['(options)', 'accessKey', 'concurrency', 'secretKey', 'url']);
    assert.ok(problems.every((problem) => !problem.message.includes('pasted secret')));
  });

  it('throws ConfigError with path: message problems', () => {
    assert.throws(
      () => resolveRancher1Options({ ...valid, email: 'nobody' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === 'ERR_INVALID_CONFIG' &&
        error.problems[0]?.startsWith('email: ') === true,
    );
  });
});
