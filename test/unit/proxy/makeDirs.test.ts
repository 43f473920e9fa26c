// makeDirs(): mkdir -p that ends — Node 20's recursive mkdirSync never returned for a folder under /proc.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../../extension/proxy/makeDirs';
import { tempDir } from '../../support/tmp';

describe('proxy/makeDirs', () => {
  it('makes the missing folders, with the mode asked for, and leaves existing ones be', () => {
    const root = tempDir('mandate-mkdirs-');
    makeDirs(join(root, 'a/b/c'), 0o700);
    assert.ok(statSync(join(root, 'a/b/c')).isDirectory());
    assert.equal(statSync(join(root, 'a/b/c')).mode & 0o777, 0o700);
    makeDirs(join(root, 'a/b/c'));
    makeDirs(root);
  });

  it('throws where a folder cannot be made: a file in the way', () => {
    const root = tempDir('mandate-mkdirs-');
    writeFileSync(join(root, 'f'), '');
    assert.throws(() => makeDirs(join(root, 'f/g')), /`.*f` is not a folder/);
  });

  it('throws for a folder under /proc instead of looping (the proxy with --audit /proc/nope/a.jsonl spun for ever)', function () {
    if (!existsSync('/proc/self')) this.skip();
    assert.throws(() => makeDirs('/proc/mandate-nope/a'), /ENOENT/);
    // the proxy itself: refuses to start, at once, saying why
    const cli = join(__dirname, '../../../dist/cli.js');
    if (!existsSync(cli)) this.skip();
    const r = spawnSync(process.execPath, [cli, 'proxy', '--policy', join(__dirname, '../../../policies/examples/finance.mandate.yaml'), '--role', 'finance_reader', '--audit', '/proc/mandate-nope/a.jsonl', '--', process.execPath, '-e', '0'], { encoding: 'utf8', timeout: 20_000, input: '' });
    assert.equal(r.error, undefined, 'it ended');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot open audit log `\/proc\/mandate-nope\/a\.jsonl`: ENOENT/);
  });
});
