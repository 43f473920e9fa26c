// Per-server audit logs when one policy's log would have several writers, and finding them again.

import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditLogsBeside, splitAuditPath } from '../../../../extension/editor/auditFiles';
import { tempDir } from '../../../support/tmp';

describe('editor/auditFiles', () => {
  it('gives each guarded server and role its own log beside the policy\'s, names escaped so two never share a file', () => {
    assert.equal(splitAuditPath('/w/.mandate/audit.jsonl', 'memory', 'searcher'), '/w/.mandate/audit.memory.searcher.jsonl');
    assert.equal(splitAuditPath('/w/audit', 'a', 'b'), '/w/audit.a.b');
    const names = ['pay/prod', 'pay_prod', 'pay.prod', 'pay%2Fprod', 'café'].map((s) => splitAuditPath('/w/audit.jsonl', s, 'r'));
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^\/w\/audit\.[A-Za-z0-9_%-]+\.r\.jsonl$/);
    // a tag tells apart servers that would share a file (two policies with one log), and no escaped name holds `@`
    assert.equal(splitAuditPath('/w/audit.jsonl', 'memory', 'r', '0a1b2c3d'), '/w/audit.memory@0a1b2c3d.r.jsonl');
    assert.notEqual(splitAuditPath('/w/audit.jsonl', 'memory@0a1b2c3d', 'r'), splitAuditPath('/w/audit.jsonl', 'memory', 'r', '0a1b2c3d'));
  });

  it('finds the policy\'s log and the per-server logs beside it, newest first, and nothing else', () => {
    const dir = tempDir('mandate-auditfiles-');
    const base = join(dir, 'audit.jsonl');
    const files = { 'audit.jsonl': 3, 'audit.memory.searcher.jsonl': 1, 'audit.memory@0a1b2c3d.searcher.jsonl': 1.5, [`${'audit.pay%2Fprod.ops.jsonl'}`]: 2, 'audit.jsonl.lock': 0, 'other.a.b.jsonl': 0, 'audit.a.jsonl': 0, 'audit.a.b.c.jsonl': 0 };
    for (const [name, age] of Object.entries(files)) {
      writeFileSync(join(dir, name), '');
      utimesSync(join(dir, name), new Date(Date.now() - age * 60_000), new Date(Date.now() - age * 60_000));
    }
    assert.deepEqual(auditLogsBeside(base), ['audit.memory.searcher.jsonl', 'audit.memory@0a1b2c3d.searcher.jsonl', 'audit.pay%2Fprod.ops.jsonl', 'audit.jsonl'].map((n) => join(dir, n)));
    assert.deepEqual(auditLogsBeside(join(dir, 'missing', 'audit.jsonl')), []);
  });
});
