import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFor } from '../__fixtures__/credentials.ts';
import { silentLogger } from '../log/logger.ts';
import { isFresh, type CredentialRecord } from '../credential/registry-credential.ts';
import { parseRegistry } from '../registry/registry-target.ts';
import type { ApplyContext } from '../sink/sink.ts';
import { createDockerConfigSink } from './docker-config-sink.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function contextFor(
  options: { now?: Date; force?: boolean; dryRun?: boolean; fail?: Error } = {},
): ApplyContext & { fetches: number } {
  const now = options.now ?? new Date();
  const context = {
    fetches: 0,
    registries: [parseRegistry(HOST)],
    dryRun: options.dryRun ?? false,
    signal: new AbortController().signal,
    logger: silentLogger,
    now: () => now,
    needsRefresh: (record: CredentialRecord | undefined) =>
      options.force === true || !isFresh(record, [HOST], now),
    async credentials() {
      context.fetches += 1;
      if (options.fail) throw options.fail;
      return new Map([[HOST, credentialFor(HOST, 'sink-password-0123', now)]]);
    },
  };
  return context;
}

describe('core/docker-config/docker-config-sink', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-sink-'));
    path = join(dir, 'nested', 'config.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('creates the directory and the file with mode 0600', async () => {
    const [result] = await createDockerConfigSink({ path }).apply(contextFor());
    assert.equal(result?.action, 'created');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const written = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(
      written.auths[HOST].auth,
      Buffer.from('AWS:sink-password-0123').toString('base64'),
    );
  });

  it('keeps other registries, credHelpers and credsStore when it updates', async () => {
    path = join(dir, 'config.json');
    const theirs = {
      auths: { 'ghcr.io': { auth: 'Z2g=' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'desktop',
    };
    await writeFile(
      path,
      JSON.stringify({ ...theirs, auths: { ...theirs.auths, [HOST]: { auth: 'b2xk' } } }),
    );
    const [result] = await createDockerConfigSink({ path }).apply(contextFor());
    assert.equal(result?.action, 'updated');
    const written = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(written.auths['ghcr.io'], theirs.auths['ghcr.io']);
    assert.deepEqual(written.credHelpers, theirs.credHelpers);
    assert.equal(written.credsStore, 'desktop');
  });

  it('leaves a fresh file unchanged without fetching credentials', async () => {
    const sink = createDockerConfigSink({ path });
    await sink.apply(contextFor());
    const before = await readFile(path, 'utf8');
    const context = contextFor({ now: new Date(Date.now() + 3600_000) });
    const [result] = await sink.apply(context);
    assert.equal(result?.action, 'unchanged');
    assert.equal(context.fetches, 0);
    assert.equal(await readFile(path, 'utf8'), before);
  });

  it('refreshes once the half-life has passed', async () => {
    const sink = createDockerConfigSink({ path });
    await sink.apply(contextFor());
    const [result] = await sink.apply(contextFor({ now: new Date(Date.now() + 7 * 3600_000) }));
    assert.equal(result?.action, 'updated');
  });

  it('does not trust its record once someone else rewrote the entry', async () => {
    const sink = createDockerConfigSink({ path });
    await sink.apply(contextFor());
    await writeFile(path, JSON.stringify({ auths: { [HOST]: { auth: 'c29tZW9uZSBlbHNl' } } }));
    const context = contextFor();
    const [result] = await sink.apply(context);
    assert.equal(result?.action, 'updated');
    assert.equal(context.fetches, 1);
  });

  it('reports a file that is not JSON as failed and leaves it untouched', async () => {
    path = join(dir, 'config.json');
    await writeFile(path, '{ not json');
    const [result] = await createDockerConfigSink({ path }).apply(contextFor());
    assert.equal(result?.action, 'failed');
    assert.equal(result?.error?.code, 'ERR_INVALID_CONFIG');
    assert.equal(await readFile(path, 'utf8'), '{ not json');
    assert.deepEqual(await createDockerConfigSink({ path }).validate(), [
      { path, message: result?.error?.message },
    ]);
  });

  it('leaves the file untouched when credentials cannot be fetched', async () => {
    path = join(dir, 'config.json');
    await writeFile(path, '{"auths":{}}');
    const [result] = await createDockerConfigSink({ path }).apply(
      contextFor({ fail: Object.assign(new Error('denied'), { code: 'ERR_AWS_AUTH' }) }),
    );
    assert.equal(result?.action, 'failed');
    assert.equal(await readFile(path, 'utf8'), '{"auths":{}}');
  });

  it('writes nothing in a dry run but says what it would do', async () => {
    const [result] = await createDockerConfigSink({ path }).apply(contextFor({ dryRun: true }));
    assert.equal(result?.action, 'created');
    assert.equal(result?.dryRun, true);
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  it('leaves no temporary or lock file behind', async () => {
    await createDockerConfigSink({ path }).apply(contextFor());
    assert.deepEqual((await readdir(join(dir, 'nested'))).sort(), [
      'config.ecr-refresh-state.json',
      'config.json',
    ]);
  });

  it('serialises concurrent runs on the same file without losing an entry', async () => {
    path = join(dir, 'config.json');
    const other = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const second = {
      ...contextFor(),
      registries: [parseRegistry(other)],
      needsRefresh: () => true,
      credentials: async () => new Map([[other, credentialFor(other)]]),
    };
    await Promise.all([
      createDockerConfigSink({ path }).apply(contextFor()),
      createDockerConfigSink({ path }).apply(second),
    ]);
    const written = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(Object.keys(written.auths).sort(), [HOST, other].sort());
  });
});
