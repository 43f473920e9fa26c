// `mandate audit verify|show` on a log written by the proxy's writer: tampering is found and named.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../../extension/proxy/auditLog';
import { CLI, tempDir } from './support';

const mandate = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function writeLog(): string {
  const file = join(tempDir(), 'audit.jsonl');
  const log = AuditLog.open(file);
  const caller = { principal: 'agent', roles: ['r'] };
  log.append({ kind: 'decision', time: '2026-11-25T10:00:00.000Z', tool: 'read', caller, decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } });
  log.append({ kind: 'decision', time: '2026-11-25T11:00:00.000Z', tool: 'pay', caller, decision: { effect: 'deny', rules: ['d'], reasons: ['amount too high'] } });
  log.append({ kind: 'outcome', time: '2026-11-25T11:00:01.000Z', tool: 'read', result: { is_error: false, latency_ms: 3 } });
  log.append({ kind: 'decision', time: '2026-11-25T12:00:00.000Z', tool: 'read', caller, decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } });
  log.close();
  return file;
}

describe('e2e: mandate audit verify and show', function () {
  this.timeout(30_000);

  it('verifies an intact log (exit 0)', () => {
    const r = mandate('audit', 'verify', writeLog());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok: .*4 records, chain intact/);
  });

  const tamper: Array<[string, (lines: string[]) => string[], RegExp]> = [
    ['an edited record', (l) => l.map((x, i) => (i === 1 ? x.replace('amount too high', 'fine') : x)), /:3 \(seq 2\): hash chain broken: record 1 was edited/],
    ['a deleted record', (l) => l.filter((_, i) => i !== 1), /:2 \(seq 2\): sequence jumps/],
    ['reordered records', (l) => [l[0]!, l[2]!, l[1]!, l[3]!], /:2 \(seq 2\): sequence jumps/],
    ['an inserted record', (l) => [l[0]!, l[1]!, l[1]!, l[2]!, l[3]!], /:3 \(seq 1\): sequence goes back/],
    ['a truncated record', (l) => [...l.slice(0, 3), l[3]!.slice(0, 40)], /:4: truncated/],
  ];
  for (const [what, change, expected] of tamper) {
    it(`names the first bad record after ${what} (exit 1)`, () => {
      const file = writeLog();
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const changed = change(lines);
      writeFileSync(file, what === 'a truncated record' ? changed.join('\n') : `${changed.join('\n')}\n`);
      const r = mandate('audit', 'verify', file);
      assert.equal(r.status, 1);
      assert.match(r.stdout, expected);
    });
  }

  it('shows records filtered by decision, tool and time, as text and JSON', () => {
    const file = writeLog();
    const denied = mandate('audit', 'show', file, '--decision', 'deny');
    assert.equal(denied.status, 0, denied.stderr);
    assert.deepEqual(denied.stdout.trim().split('\n').length, 1);
    assert.match(denied.stdout, /#1 .* decision DENY pay agent\(r\) — amount too high/);
    const json = mandate('audit', 'show', file, '--tool', 'read', '--since', '2026-11-25T11:30:00Z', '--format', 'json');
    const recs = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    assert.deepEqual(recs.map((r) => r.seq), [3]);
  });

  it('refuses a missing file with one clear line', () => {
    const r = mandate('audit', 'verify', '/nonexistent/audit.jsonl');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mandate audit: cannot read audit log `\/nonexistent\/audit.jsonl`: no such file\n$/);
  });
});
