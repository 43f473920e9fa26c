// The revocation list file: append, dedupe, prune expired entries, refuse malformed lists.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRevocationList, parseRevocations, parseDuration, revokeJti } from '../../../../extension/proxy/auth';
import { ReloadingFile } from '../../../../extension/proxy/auth/reloadingFile';
import { tempDir } from '../../../support/tmp';

describe('revocation list', () => {
  let dir: string;
  beforeEach(() => { dir = tempDir('mandate-revoke-'); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the list, adds a jti once, and prunes entries long expired', () => {
    const file = join(dir, 'revoked.json');
    assert.equal(revokeJti(file, { jti: 'a', at: 'x', exp: 100 }, 50), true);
    assert.equal(revokeJti(file, { jti: 'a', at: 'x' }, 50), false);
    assert.equal(revokeJti(file, { jti: 'b', at: 'x' }, 100 + 86_401), true);
    assert.deepEqual([...parseRevocations(readFileSync(file, 'utf8'), file)], ['b']);
  });

  it('refuses a list replaced by a pipe (every token rejected) instead of waiting on it for good, and reads the file once it is back', async () => {
    const file = join(dir, 'revoked.json');
    writeFileSync(file, '{"version":1,"revoked":[{"jti":"a","at":"x"}]}');
    const list = new ReloadingFile(file, parseRevocations, 1 << 20);
    assert.deepEqual([...await list.current()], ['a']);
    unlinkSync(file);
    execFileSync('mkfifo', [file]);
    await assert.rejects(list.current(), /not a regular file/);
    unlinkSync(file);
    writeFileSync(file, '{"version":1,"revoked":[{"jti":"b","at":"x"}]}');
    assert.deepEqual([...await list.current()], ['b']);
  });

  it('refuses malformed lists with a message naming the file', () => {
    assert.throws(() => parseRevocationList('[]', 'r.json'), /revocation list `r.json` must be/);
    assert.throws(() => parseRevocationList('{"version":1,"revoked":[{"jti":""}]}', 'r.json'), /entry 0/);
    assert.throws(() => parseRevocationList('{', 'r.json'), /not valid JSON/);
  });

  it('parses durations and refuses others', () => {
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('2h'), 7200);
    assert.equal(parseDuration('45'), 45);
    assert.throws(() => parseDuration('1 week'), TypeError);
    assert.throws(() => parseDuration('-5s'), TypeError);
  });
});
