import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { USER_AGENT, VERSION } from './user-agent.ts';

describe('core/http/user-agent', () => {
  for (const name of ['core', 'k8s', 'rancher1', 'cli']) {
    it(`names the version of @ecr-refresh/${name}`, () => {
      const manifest = JSON.parse(
        readFileSync(new URL(`../../../${name}/package.json`, import.meta.url), 'utf8'),
      ) as { version: string };
      assert.equal(VERSION, manifest.version);
    });
  }

  it('is ecr-refresh/<version>', () => {
    assert.equal(USER_AGENT, `ecr-refresh/${VERSION}`);
  });
});
