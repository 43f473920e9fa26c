// Alert rules over records written by the real audit writer: bursts, refusals, drift, audit failure, break-glass, refused policy edits.

import assert from 'node:assert/strict';
import { AlertMonitor, type Alert } from '../../../../extension/proxy/alerts';
import { sha256 } from '../../../../extension/proxy/hash';
import type { AlertsDef, AuditEntry } from '../../../../policies';
import { approval, decision, fixturePolicy, writeLog } from '../../harness/review/fixture';

const { parsed } = fixturePolicy();

function run(entries: AuditEntry[], config: AlertsDef | undefined, tamper?: (text: string) => string): Alert[] {
  const log = writeLog(entries);
  const text = tamper ? tamper(log.text) : log.text;
  const m = new AlertMonitor(parsed.policy, config, sha256);
  return text.split('\n').filter(Boolean).flatMap((l) => m.observeLine(l));
}

const deny = (i: number, sec: number) => decision(`2026-11-01T10:00:${String(sec).padStart(2, '0')}Z`, String(i), 'mallory', 'reader', 'delete_file', 'deny', ['no-deletes']);

describe('extension/proxy/alerts rules', () => {
  it('raises a denial burst at the count within the window, once per burst', () => {
    const a = run([deny(1, 0), deny(2, 10), deny(3, 20), deny(4, 30), deny(5, 40)], { rules: [{ on: 'denial_burst', count: 3, within_seconds: 60 }] });
    assert.equal(a.length, 1);
    assert.equal(a[0]!.kind, 'denial_burst');
    assert.deepEqual(a[0]!.seq, [0, 1, 2]);
    assert.match(a[0]!.message, /3 denials within 60s \(tools `delete_file`\)/);
  });

  it('does not raise a burst when the denials are spread wider than the window', () => {
    const a = run([deny(1, 0), deny(2, 30), deny(3, 59)], { rules: [{ on: 'denial_burst', count: 3, within_seconds: 30 }] });
    assert.deepEqual(a, []);
  });

  it('alerts on refused and timed-out approvals, not granted ones', () => {
    const a = run([approval('2026-11-01T10:00:00Z', '1', 'writer', 'write_file', 'granted'), approval('2026-11-01T10:01:00Z', '2', 'writer', 'write_file', 'refused'),
      approval('2026-11-01T10:02:00Z', '3', 'writer', 'write_file', 'timeout')], { rules: [{ on: 'approval_refused' }] });
    assert.deepEqual(a.map((x) => x.message), ['approval refused for `write_file` by `bob` (caller `alice`)', 'approval timeout for `write_file` by `bob` (caller `alice`)']);
  });

  it('alerts on a policy edit the proxy refused (the old policy stays in force), not on a reload that took', () => {
    const policy = (event: string, errors?: string[]): AuditEntry => ({ kind: 'policy', time: '2026-11-01T10:00:00Z', policy: { file: 'p.mandate.yaml', version: 'abc123' },
      detail: { event, ...(errors ? { errors } : {}) } });
    const a = run([policy('reloaded'), policy('reload_refused', ['p.mandate.yaml:4:7: error: unknown key `grnats`'])], {}); // `alerts: {}`: every kind, this one included
    assert.deepEqual(a.map((x) => [x.kind, x.severity, x.message]), [['policy_refused', 'critical',
      'policy edit refused: `p.mandate.yaml` is still enforced as version abc123; the edit has not taken effect: p.mandate.yaml:4:7: error: unknown key `grnats`']]);
  });

  it('alerts on tool drift and on audit write errors', () => {
    const a = run([{ kind: 'drift', time: '2026-11-01T10:00:00Z', server: 'fs', tool: 'read_file' },
      { kind: 'error', time: '2026-11-01T10:00:01Z', error: { code: 'audit_write_failed', message: 'disk full' } },
      { kind: 'error', time: '2026-11-01T10:00:02Z', error: { code: 'upstream_crash', message: 'exit 1' } }], {});
    assert.deepEqual(a.map((x) => x.kind), ['tool_drift', 'audit_failure']);
  });

  it('alerts when a break-glass role is used, not when it is denied', () => {
    const a = run([decision('2026-11-01T10:00:00Z', '1', 'dana', 'oncall', 'restart_service', 'allow', ['grants[3]']),
      decision('2026-11-01T10:00:01Z', '2', 'dana', 'oncall', 'delete_file', 'deny', ['no-deletes'])], { rules: [{ on: 'break_glass' }] });
    assert.equal(a.length, 1);
    assert.match(a[0]!.message, /break-glass role `oncall` used: `restart_service` allow for `dana`/);
  });

  it('alerts once when the chain stops verifying (an edited record)', () => {
    const entries = [decision('2026-11-01T10:00:00Z', '1', 'a', 'reader', 'read_file', 'allow', []), decision('2026-11-01T10:00:01Z', '2', 'a', 'reader', 'read_file', 'allow', []),
      decision('2026-11-01T10:00:02Z', '3', 'a', 'reader', 'read_file', 'allow', [])];
    assert.deepEqual(run(entries, { rules: [{ on: 'audit_failure' }] }), []);
    const a = run(entries, { rules: [{ on: 'audit_failure' }] }, (t) => t.replace('"10:00:00Z', '"10:00:00Z').replace('2026-11-01T10:00:00Z', '2026-11-01T09:00:00Z'));
    assert.equal(a.length, 1);
    assert.match(a[0]!.message, /audit chain broken at seq 1/);
  });

  it('follows from mid-log without an alert, and alerts on a line that is not an object or not valid UTF-8 (it used to pass `null` on)', () => {
    const entries = [0, 1, 2, 3].map((i) => decision(`2026-11-01T10:00:0${i}Z`, String(i), 'a', 'reader', 'read_file', 'allow', []));
    const lines = writeLog(entries).text.split('\n').filter(Boolean);
    const mid = new AlertMonitor(parsed.policy, { rules: [{ on: 'audit_failure' }] }, sha256);
    assert.deepEqual(lines.slice(2).flatMap((l) => mid.observeLine(l)), []);
    const nulls = new AlertMonitor(parsed.policy, { rules: [{ on: 'audit_failure' }] }, sha256);
    assert.match(nulls.observeLine('null')[0]!.message, /not an audit record/);
    const bytes = new AlertMonitor(parsed.policy, { rules: [{ on: 'audit_failure' }] }, sha256);
    assert.deepEqual(bytes.observeLine(lines[0]!), []);
    assert.match(bytes.observeLine(lines[1]!, false)[0]!.message, /not valid UTF-8/);
  });

  it('alerts on an audit write failure when it happens (no record of it can be written then), under the rule\'s id', () => {
    const m = new AlertMonitor(parsed.policy, { rules: [{ on: 'audit_failure', id: 'disk' }] }, sha256);
    assert.deepEqual(m.writeFailure('audit log `a.jsonl` cannot be written: ENOSPC', '2026-11-26T10:00:00.000Z'), [
      { rule: 'disk', kind: 'audit_failure', severity: 'critical', message: 'audit failure: audit log `a.jsonl` cannot be written: ENOSPC', time: '2026-11-26T10:00:00.000Z', seq: [] },
    ]);
    assert.deepEqual(new AlertMonitor(parsed.policy, { rules: [{ on: 'tool_drift' }] }, sha256).writeFailure('x', 't'), [], 'only under an audit_failure rule');
  });

  it('goes on from the monitor it replaces (a policy edit): the chain where it stood, the window of a rule left as it was', () => {
    const lines = writeLog([deny(1, 0), deny(2, 1), deny(3, 2), deny(4, 3), deny(5, 4)]).text.split('\n').filter(Boolean);
    const burst = (count: number): AlertsDef => ({ rules: [{ on: 'denial_burst', count, within_seconds: 60 }, { on: 'audit_failure' }] });
    const before = new AlertMonitor(parsed.policy, burst(3), sha256);
    assert.deepEqual(lines.slice(0, 2).flatMap((l) => before.observeLine(l)), []);
    // the same rules: the two denials already in the window count, the third completes the burst
    const same = new AlertMonitor(parsed.policy, burst(3), sha256, before);
    assert.deepEqual(same.observeLine(lines[2]!).map((a) => [a.kind, a.seq]), [['denial_burst', [0, 1, 2]]]);
    // a changed rule starts afresh, and a record missing after the edit breaks the chain (a new monitor would anchor on it)
    const edited = new AlertMonitor(parsed.policy, burst(2), sha256, before);
    assert.deepEqual(edited.observeLine(lines[3]!).map((a) => [a.kind, a.message]), [['audit_failure', 'audit chain broken at seq 3: expected seq 2 (records deleted, reordered or inserted)']]);
    assert.deepEqual(edited.observeLine(lines[4]!).map((a) => [a.kind, a.seq]), [['denial_burst', [3, 4]]]);
  });

  it('raises nothing without an alerts section', () => {
    assert.deepEqual(run([deny(1, 0), deny(2, 1), deny(3, 2), deny(4, 3), deny(5, 4), deny(6, 5)], undefined), []);
  });
});
