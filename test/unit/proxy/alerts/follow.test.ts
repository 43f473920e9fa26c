// followLines: the lines of an audit log exactly as written, even where a character's UTF-8 bytes
// straddle two reads (a changed character would break the hash chain the alert monitor checks).

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { followLines } from '../../../../extension/proxy/alerts/follow';
import { tempDir } from '../../../support/tmp';

describe('followLines', () => {
  it('delivers every line intact when multi-byte characters cross the read boundary', () => {
    const file = join(tempDir('mandate-follow-'), 'audit.jsonl');
    // 65,535 ASCII bytes then "é" (2 bytes) and "😀" (4 bytes): the 64 KiB read ends inside the first
    const first = `${'x'.repeat(65_535)}é😀`;
    const lines = [first, 'é'.repeat(40_000), '😀 done'];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const seen: string[] = [];
    followLines(file, (l) => seen.push(l), false);
    assert.deepEqual(seen, lines);
  });

  it('holds a partial last line until it is complete', async () => {
    const file = join(tempDir('mandate-follow-'), 'audit.jsonl');
    writeFileSync(file, 'one\ntw');
    const seen: string[] = [];
    const f = followLines(file, (l) => seen.push(l), true);
    assert.deepEqual(seen, ['one']);
    appendFileSync(file, 'o\n');
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    f.stop();
    assert.deepEqual(seen, ['one', 'two']);
  });
});
