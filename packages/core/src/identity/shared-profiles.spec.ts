import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingProfiles } from './shared-profiles.ts';

describe('core/identity/shared-profiles', () => {
  const saved = {
    config: process.env.AWS_CONFIG_FILE,
    credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
  };
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-refresh-profiles-'));
    await writeFile(
      join(dir, 'config'),
      '[default]\nregion = eu-west-1\n[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n',
    );
    await writeFile(
      join(dir, 'credentials'),
      '[base]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n',
    );
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  });
  after(async () => {
    for (const [name, value] of [
      ['AWS_CONFIG_FILE', saved.config],
      ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('finds profiles of the config file and of the credentials file, and names the others', async () => {
    assert.deepEqual(await missingProfiles(['ops', 'base', 'default', 'opps', 'profile ops']), [
      'opps',
      'profile ops',
    ]);
  });
});
