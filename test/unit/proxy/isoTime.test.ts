// isoTime: the same text as Date.prototype.toISOString for every time, cached minute or not.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTime } from '../../../extension/proxy/isoTime';
import { fcParams } from '../../support/seed';

describe('proxy/isoTime', () => {
  it('formats every time as toISOString does', () => {
    const ms = fc.oneof(fc.integer({ min: 0, max: 253402300799999 }), fc.integer({ min: 1_700_000_000_000, max: 1_700_000_200_000 }),
      fc.constantFrom(0, 59_999, 60_000, 1_000, 999, 253402300799999, 253402300800000, 8.64e15), fc.double({ min: 0, max: 8.64e15, noNaN: true }));
    fc.assert(fc.property(fc.array(ms, { minLength: 1, maxLength: 5 }), (times) => {
      for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
    }), fcParams(5000));
    assert.equal(isoTime(1764067509007), '2025-11-25T10:45:09.007Z');
    assert.equal(isoTime(1764067509070), '2025-11-25T10:45:09.070Z');
    assert.equal(isoTime(1764067500700), '2025-11-25T10:45:00.700Z');
  });
});
