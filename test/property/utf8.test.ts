// firstInvalidUtf8 (policy files) agrees with the platform's strict UTF-8 decoder on any bytes: -1 exactly when the
// decoder accepts them, and otherwise an offset before which every byte decodes.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { firstInvalidUtf8, validUtf8 } from '../../policies';
import { fcParams } from '../support/seed';

/** Bytes near UTF-8: well-formed characters of every length mixed with single bytes of any value. */
const nearUtf8 = fc.array(fc.oneof(
  fc.string({ unit: 'binary', maxLength: 3 }).map((s) => [...Buffer.from(s, 'utf8')]),
  fc.integer({ min: 0, max: 255 }).map((b) => [b]),
  fc.constantFrom([0xc0, 0xae], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x90, 0x80], [0xef, 0xbf, 0xbd]),
), { maxLength: 12 }).map((parts) => Uint8Array.from(parts.flat()));

describe('property: firstInvalidUtf8 agrees with the strict decoder', () => {
  it('is -1 exactly for valid UTF-8, and the bytes before the offset it names are valid', () => {
    fc.assert(fc.property(nearUtf8, (b) => {
      const i = firstInvalidUtf8(b);
      assert.equal(i < 0, validUtf8(b));
      if (i >= 0) assert.ok(validUtf8(b.subarray(0, i)));
    }), fcParams(3000));
  });
});
