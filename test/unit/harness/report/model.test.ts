// The report model on logs from the real audit writer: version, matrix, activity, integrity, findings.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { buildReport } from '../../../../harness/report';
import { sha256 } from '../../../../extension/proxy/hash';
import { approval, decision, fixturePolicy, POLICY, writeLog } from '../review/fixture';

const NOW = Date.parse('2026-11-20T00:00:00Z');

function sample() {
  return writeLog([
    decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs']),
    { kind: 'outcome', time: '2026-11-01T10:00:01Z', request_id: '1', session: 's1', tool: 'read_file', result: { is_error: true, latency_ms: 3 } },
    decision('2026-11-01T12:00:00Z', '2', 'carol', 'reader', 'delete_file', 'deny', ['no-deletes']),
    decision('2026-11-02T10:00:00Z', '3', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
    approval('2026-11-02T10:00:05Z', '3', 'writer', 'write_file', 'granted'),
  ]);
}

describe('harness/report model', () => {
  const { parsed } = fixturePolicy();

  it('names the policy version as the SHA-256 of the policy text', () => {
    const m = buildReport({ policy: parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW });
    assert.equal(m.policy.version, sha256(POLICY));
    assert.equal(m.policy.grants, 4);
  });

  it('draws the role × tool matrix with approvals, constraints and deny rules', () => {
    const m = buildReport({ policy: parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW });
    const c = m.matrix.cells;
    assert.equal(c['reader']!['read_file']!.effect, 'allow');
    assert.equal(c['writer']!['write_file']!.effect, 'approval');
    assert.ok(c['writer']!['write_file']!.conditions.includes('requires approval'));
    assert.equal(c['reader']!['write_file']!.effect, 'none');
    assert.equal(c['oncall']!['restart_service']!.effect, 'allow');
    assert.ok(c['oncall']!['restart_service']!.conditions.includes('until 2026-12-31T00:00:00Z'));
    assert.equal(c['reader']!['delete_*']!.effect, 'deny');
    // a tool seen in the log gets its own column; the glob grant covers it
    assert.equal(c['reader']!['delete_file']!.effect, 'deny');
    assert.ok(m.matrix.roles.find((r) => r.name === 'oncall')!.emergency);
  });

  it('counts what happened: decisions, denials, approvals, errors', () => {
    const m = buildReport({ policy: parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW });
    const t = m.activity.totals;
    assert.deepEqual([t.decisions, t.allowed, t.denied, t.approval, t.errors, t.approvalsGranted], [3, 1, 1, 1, 1, 1]);
    const sum = m.activity.buckets.reduce((n, b) => n + b.allowed + b.denied + b.approval + b.errors, 0);
    assert.equal(sum, 4);
  });

  it('flags a tampered log: integrity broken, an error finding naming the line', () => {
    const log = sample();
    const tampered = log.text.replace('"carol"', '"mallory"');
    writeFileSync(log.path, tampered);
    const m = buildReport({ policy: parsed, logs: [{ file: 'ok.jsonl', text: sample().text }, { file: 'bad.jsonl', text: tampered }], sha256, now: NOW });
    assert.equal(m.integrity.ok, false);
    assert.equal(m.integrity.logs[0]!.ok, true);
    assert.equal(m.integrity.logs[1]!.bad!.line, 4);
    const f = m.findings.find((x) => x.rule === 'audit/chain-broken')!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /`bad\.jsonl` fails verification at line 4/);
  });

  it('warns of records a proxy could not write (a gap its log tells of), within the period only', () => {
    const gap = { kind: 'error' as const, time: '2026-11-03T10:00:05Z', error: { code: 'audit_write_failed', message: 'records could not be written from 2026-11-03T10:00:00Z: ENOSPC' }, detail: { event: 'audit_resumed', since: '2026-11-03T10:00:00Z', lost: { decision: 2, outcome: 1 } } };
    const log = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs']), gap]);
    const m = buildReport({ policy: parsed, logs: [{ file: 'g.jsonl', text: log.text }], sha256, now: NOW });
    assert.equal(m.integrity.ok, true, 'the chain verifies');
    assert.deepEqual(m.findings.filter((x) => x.rule === 'audit/records-lost'), [{
      source: 'integrity', rule: 'audit/records-lost', severity: 'warning', where: 'g.jsonl seq 1',
      message: 'audit log `g.jsonl`: the proxy could not write it from 2026-11-03T10:00:00Z to 2026-11-03T10:00:05Z (ENOSPC); 2 decision, 1 outcome records not written (a call whose decision record was not written was denied)',
    }]);
    const before = buildReport({ policy: parsed, logs: [{ file: 'g.jsonl', text: log.text }], sha256, now: NOW, until: Date.parse('2026-11-02T00:00:00Z') });
    assert.equal(before.findings.filter((x) => x.rule === 'audit/records-lost').length, 0);
  });

  it('includes lint findings and review findings', () => {
    const m = buildReport({ policy: parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW });
    assert.ok(m.findings.some((f) => f.source === 'review' && f.rule === 'review/unused-grant'));
    const bad = fixturePolicy(POLICY.replace('tools: [restart_service]', 'tools: [restart_service], scope: [nope]'));
    const m2 = buildReport({ policy: bad.parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW });
    const lint = m2.findings.filter((f) => f.source === 'lint');
    assert.ok(lint.some((f) => f.severity === 'error' && f.message.includes('`nope`') && /^fixture\.mandate\.yaml:\d+:\d+$/.test(f.where ?? '')), JSON.stringify(lint));
  });

  it('keeps only the period\'s records', () => {
    const m = buildReport({ policy: parsed, logs: [{ file: 'a.jsonl', text: sample().text }], sha256, now: NOW, since: Date.parse('2026-11-02T00:00:00Z') });
    assert.equal(m.activity.totals.decisions, 1);
  });
});
