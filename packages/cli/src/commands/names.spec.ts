import assert from 'node:assert/strict';
import { commands } from './index.ts';
import { COMMAND_NAMES } from './names.ts';

describe('cli/commands/names', () => {
  it('names every subcommand the CLI has, and no other', () => {
    assert.deepEqual([...COMMAND_NAMES].sort(), commands.map((command) => command.name).sort());
  });
});
