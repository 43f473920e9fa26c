// `--since` / `--until` of `mandate audit review` and `mandate report`: durations, dates and date-times
// are read the same on every machine (no local time).

import assert from 'node:assert/strict';
import { parsePeriod } from '../../../../extension/cli/commands/auditReview';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('cli/parsePeriod', () => {
  it('reads durations before now, dates as their UTC start, and date-times with their zone', () => {
    assert.equal(parsePeriod(undefined, '--since', NOW), undefined);
    assert.equal(parsePeriod('30d', '--since', NOW), NOW - 30 * 86400e3);
    assert.equal(parsePeriod('12h', '--since', NOW), NOW - 12 * 3600e3);
    assert.equal(parsePeriod('2026-11-01', '--since', NOW), Date.UTC(2026, 10, 1));
    assert.equal(parsePeriod('2026-11-01T09:30:00Z', '--since', NOW), Date.UTC(2026, 10, 1, 9, 30));
    assert.equal(parsePeriod('2026-11-01T09:30:00+02:00', '--since', NOW), Date.UTC(2026, 10, 1, 7, 30));
  });

  it('refuses a date-time without a zone (it would be read in local time) and says what to add', () => {
    assert.throws(() => parsePeriod('2026-11-01T09:30:00', '--since', NOW), /--since .*got `2026-11-01T09:30:00` \(add `Z` or an offset/);
    assert.throws(() => parsePeriod('2026-11-01T09:30Z', '--since', NOW), /got `2026-11-01T09:30Z` \(add the seconds: `:00`\)/);
    assert.throws(() => parsePeriod('2026-11-01T09:30+02:00', '--since', NOW), /\(add the seconds/);
  });

  it('refuses what is not a period: other date forms, impossible dates, units it does not know', () => {
    for (const bad of ['Nov 1 2026', '2026-11-01 09:30', '2026-02-30', '2026-11-01T25:00:00Z', '30y', '', 'yesterday']) {
      assert.throws(() => parsePeriod(bad, '--until', NOW), /--until expects a duration/, bad);
    }
  });
});
