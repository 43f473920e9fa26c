// parseDateTime: every RFC 3339 spelling the schema admits reads as the right instant; anything else is NaN.

import assert from 'node:assert/strict';
import { parseDateTime } from '../../../policies';

describe('parseDateTime', () => {
  it('reads UTC, offsets with and without colon or minutes, lowercase and space separators', () => {
    const t = Date.UTC(2026, 5, 1, 12, 0, 0);
    for (const s of ['2026-06-01T12:00:00Z', '2026-06-01t12:00:00z', '2026-06-01 12:00:00Z', '2026-06-01T14:00:00+02:00',
      '2026-06-01T14:00:00+0200', '2026-06-01T14:00:00+02', '2026-06-01T10:30:00-01:30', '2026-06-01T12:00:00.000Z']) {
      assert.equal(parseDateTime(s), t, s);
    }
  });

  it('reads fractions of a second and a leap second as the instant after :59.999', () => {
    assert.equal(parseDateTime('2026-06-01T12:00:00.123456Z'), Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    assert.equal(parseDateTime('2016-12-31T23:59:60Z'), Date.UTC(2017, 0, 1));
    assert.equal(parseDateTime('2017-01-01T00:59:60.5+01:00'), Date.UTC(2017, 0, 1, 0, 0, 0, 500));
    assert.equal(parseDateTime('2017-01-01T05:29:60+05:30'), Date.UTC(2017, 0, 1));
  });

  it('drops digits below the millisecond from a clock reading, and rounds a bound up to the next millisecond', () => {
    const t = Date.UTC(2026, 5, 1, 12, 0, 0, 999);
    assert.equal(parseDateTime('2026-06-01T12:00:00.9999Z'), t);
    assert.equal(parseDateTime('2026-06-01T12:00:00.9999Z', 'up'), t + 1, 'carries into the next second');
    assert.equal(parseDateTime('2026-06-01T12:00:00.9990000Z', 'up'), t, 'zeros below the millisecond do not round');
    assert.equal(parseDateTime('2026-06-01T12:00:00.9Z', 'up'), Date.UTC(2026, 5, 1, 12, 0, 0, 900));
    assert.equal(parseDateTime('2026-06-01T14:00:00.0000001+02:00', 'up'), Date.UTC(2026, 5, 1, 12, 0, 0, 1));
  });

  it('agrees with the schema: a leap second only in the last minute of a UTC day, offsets within 23:59', () => {
    for (const s of ['2026-06-01T12:00:60Z', '2016-12-31T23:59:60+01:00', '2016-12-31T23:29:60+05:30', '2026-06-01T09:00:00+99:99',
      '2026-06-01T09:00:00+2400', '2026-06-01T09:00:00-00:60']) {
      assert.ok(Number.isNaN(parseDateTime(s)), s);
    }
    assert.equal(parseDateTime('2026-06-01T09:00:00+23:59'), Date.UTC(2026, 5, 1, 9, 0, 0) - (23 * 60 + 59) * 60_000);
  });

  it('refuses what is not a date-time, including days that do not exist', () => {
    for (const s of ['', 'tomorrow', '2026-06-01', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-06-01T24:00:00Z', '2026-06-01T12:00:00']) {
      assert.ok(Number.isNaN(parseDateTime(s)), s);
    }
  });
});
