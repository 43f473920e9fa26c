// The editor's approval prompt: never longer than the approval has left, and none for one already expired.

import assert from 'node:assert/strict';
import { promptWindowMs } from '../../../../extension/editor/approvalWindow';

describe('editor promptWindowMs', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  it('shows the prompt for the setting\'s time, or what the approval has left if less', () => {
    assert.equal(promptWindowMs('2026-11-26T10:05:00Z', 60, now), 60_000);
    assert.equal(promptWindowMs('2026-11-26T10:00:20Z', 60, now), 20_000);
  });
  it('asks nothing for an approval already expired (it showed the full 60 s)', () => {
    assert.equal(promptWindowMs('2026-11-26T10:00:00Z', 60, now), undefined);
    assert.equal(promptWindowMs('2026-11-26T09:59:00Z', 60, now), undefined);
  });
  it('keeps the setting\'s time for an expiry it cannot read', () => {
    assert.equal(promptWindowMs('soon', 60, now), 60_000);
  });
});
