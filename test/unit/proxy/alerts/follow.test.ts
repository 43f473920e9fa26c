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

  it('delivers a line longer than 8 MB whole (it used to be split into pieces)', () => {
    const file = join(tempDir('mandate-follow-'), 'audit.jsonl');
    const long = `{"v":1,"blob":"${'y'.repeat(9 << 20)}"}`;
    writeFileSync(file, `first\n${long}\nlast\n`);
    const seen: string[] = [];
    followLines(file, (l) => seen.push(l), false);
    assert.equal(seen.length, 3);
    assert.equal(seen[1]!.length, long.length);
    assert.equal(seen[1], long);
  });

  it('starts at a byte offset, tells each line its end offset, and flags a line that is not valid UTF-8', () => {
    const file = join(tempDir('mandate-follow-'), 'audit.jsonl');
    const bytes = Buffer.concat([Buffer.from('skipped é\nkept\n'), Buffer.from([0x62, 0xff, 0x0a]), Buffer.from('\nend\n')]);
    writeFileSync(file, bytes);
    const seen: Array<[string, boolean, number]> = [];
    followLines(file, (l, info) => seen.push([l, info.validUtf8, info.end]), false, { start: Buffer.byteLength('skipped é\n') });
    assert.deepEqual(seen, [['kept', true, 16], ['b\uFFFD', false, 19], ['', true, 20], ['end', true, 24]]);
  });
});
