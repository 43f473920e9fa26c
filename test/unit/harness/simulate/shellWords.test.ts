// shellWords(): a typed server command split as a shell splits it (the editor split on every space).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { shellQuote, shellWords } from '../../../../harness/simulate';
import { fcParams } from '../../../support/seed';

describe('harness shellWords', () => {
  it('keeps quoted arguments whole, and reads escapes', () => {
    assert.deepEqual(shellWords(`node 'my server.mjs' --root "/tmp/a b" x\\ y ""`), ['node', 'my server.mjs', '--root', '/tmp/a b', 'x y', '']);
    assert.deepEqual(shellWords(`echo "a \\"b\\" \\\\ \\$c" 'it'\\''s'`), ['echo', 'a "b" \\ $c', "it's"]);
    assert.deepEqual(shellWords('  npx   -y  pkg  '), ['npx', '-y', 'pkg']);
    assert.deepEqual(shellWords(''), []);
  });

  it('refuses an unterminated quote', () => {
    assert.equal(shellWords(`node 'server.mjs`), undefined);
    assert.equal(shellWords('node "server.mjs'), undefined);
  });

  it('reads back what shellQuote writes (property)', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary-ascii' }), { maxLength: 6 }), (words) => {
      assert.deepEqual(shellWords(words.map(shellQuote).join(' ')), words);
    }), fcParams(300));
  });
});
