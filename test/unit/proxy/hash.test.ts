// sha256 of the proxy: the audit chain's hash, so it must be SHA-256 of the UTF-8 text, hex.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256 } from '../../../extension/proxy/hash';

describe('proxy/hash', () => {
  it('is the hex SHA-256 of the UTF-8 bytes of the text', () => {
    assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const text of ['é', '€ and 𝄞', '\u0000\n"x"', 'a'.repeat(100_000)]) {
      assert.equal(sha256(text), createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'), text.slice(0, 20));
    }
  });
});
