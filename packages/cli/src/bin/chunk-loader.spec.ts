import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCodeCache } from './code-cache.ts';
import { createChunkLoader } from './chunk-loader.ts';

describe('cli/bin/chunk-loader', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ecr-refresh-chunks-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const loaderOf = () => createChunkLoader(directory, openCodeCache([], {}));

  it('runs a chunk once, hands other chunks their exports, and built-ins as Node does', () => {
    writeFileSync(join(directory, 'cli.cjs'), "const core = require('./chunk-A.cjs'); const again = require('./chunk-A.cjs'); exports.same = core === again; exports.sum = core.add(2, 3); exports.sep = require('node:path').sep; exports.file = __filename;");
    writeFileSync(join(directory, 'chunk-A.cjs'), 'globalThis.chunkRuns = (globalThis.chunkRuns ?? 0) + 1; exports.add = (a, b) => a + b;');
    const loader = loaderOf();
    const cli = loader.load('cli.cjs') as { same: boolean; sum: number; sep: string; file: string };
    assert.deepEqual(cli, { same: true, sum: 5, sep: '/', file: join(directory, 'cli.cjs') });
    assert.equal(loader.load('chunk-A.cjs'), loader.load('chunk-A.cjs'));
    assert.equal((globalThis as { chunkRuns?: number }).chunkRuns, 1);
    delete (globalThis as { chunkRuns?: number }).chunkRuns;
  });

  it('lets a chunk replace its exports, and chunks that require each other see each other', () => {
    writeFileSync(join(directory, 'cli.cjs'), "module.exports = { main: () => require('./chunk-B.cjs').name, early: 'cli' };");
    writeFileSync(join(directory, 'chunk-B.cjs'), "const cli = require('./cli.cjs'); module.exports = { name: 'b', sawCli: cli };");
    const cli = loaderOf().load('cli.cjs') as { main(): string };
    assert.equal(cli.main(), 'b');
  });

  it('reports a missing package the way require does, and a chunk that throws with its own file in the stack', () => {
    writeFileSync(join(directory, 'cli.cjs'), "exports.load = () => require('not-bundled-anywhere');\nexports.fail = () => { throw new Error('boom'); };");
    const cli = loaderOf().load('cli.cjs') as { load(): unknown; fail(): never };
    assert.throws(() => cli.load(), { code: 'MODULE_NOT_FOUND' });
    assert.throws(() => cli.fail(), (error: Error) => error.message === 'boom' && (error.stack ?? '').includes(join(directory, 'cli.cjs')));
  });
});
