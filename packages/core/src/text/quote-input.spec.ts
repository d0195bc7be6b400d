import assert from 'node:assert/strict';
import { quoteInput } from './quote-input.ts';

describe('quoteInput', () => {
  it('quotes a short input as it is', () => {
    assert.equal(quoteInput('example.com'), '"example.com"');
  });

  it('escapes a newline, so an input cannot start a line of its own', () => {
    assert.equal(quoteInput('a\nb'), '"a\\nb"');
  });

  it('cuts a huge input to its first 80 characters and says how long it was', () => {
    const quoted = quoteInput('a'.repeat(1 << 20));
    assert.equal(quoted, `"${'a'.repeat(80)}…" (1048576 characters)`);
  });
});
