// Access review on logs written by the real audit writer: usage per grant, unused grants, narrowing, approvals.

import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { compile, decide, parsePolicy } from '../../../../policies';
import { formatReview, reviewAudit } from '../../../../harness/review';
import { requestKey } from '../../../../harness/review/usage';
import { approval, decision, fixturePolicy, POLICY, writeLog } from './fixture';

describe('harness/review', () => {
  const { compiled } = fixturePolicy();
  const log = writeLog([
    decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs']),
    decision('2026-11-02T10:00:00Z', '2', 'alice', 'reader', 'read_file', 'allow', ['read-docs']),
    decision('2026-11-03T10:00:00Z', '3', 'carol', 'reader', 'search_files', 'allow', ['read-docs']),
    decision('2026-11-03T11:00:00Z', '4', 'carol', 'reader', 'delete_file', 'deny', ['no-deletes']),
    decision('2026-11-04T10:00:00Z', '5', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
    approval('2026-11-04T10:00:05Z', '5', 'writer', 'write_file', 'granted'),
    decision('2026-11-05T10:00:00Z', '6', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
    approval('2026-11-05T10:00:05Z', '6', 'writer', 'write_file', 'granted'),
    decision('2026-11-06T10:00:00Z', '7', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
    approval('2026-11-06T10:00:05Z', '7', 'writer', 'write_file', 'granted'),
  ]);

  it('counts each grant\'s calls and who made them', () => {
    const r = reviewAudit(compiled, log.records);
    const read = r.grants.find((g) => g.grant === 'read-docs')!;
    assert.equal(read.calls, 3);
    assert.deepEqual(read.by, [{ principal: 'alice', calls: 2 }, { principal: 'carol', calls: 1 }]);
    assert.deepEqual(read.perTool, [{ tool: 'read_file', calls: 2 }, { tool: 'search_files', calls: 1 }]);
    assert.equal(read.lastUsed, '2026-11-03T10:00:00Z');
    assert.equal(r.decisions, 7);
    assert.match(read.where, /^fixture\.mandate\.yaml:\d+:\d+$/);
  });

  it('lists grants never used in the period as removal candidates', () => {
    const r = reviewAudit(compiled, log.records);
    assert.deepEqual(r.unused.map((u) => u.grant), ['writer-reads', 'grants[3]']);
    assert.ok(r.findings.some((f) => f.rule === 'review/unused-grant' && f.message.includes('`writer-reads`')));
  });

  it('honours the period: calls before --since do not count', () => {
    const r = reviewAudit(compiled, log.records, { since: Date.parse('2026-11-03T00:00:00Z') });
    assert.equal(r.grants.find((g) => g.grant === 'read-docs')!.calls, 1);
    assert.equal(r.period.since, '2026-11-03T00:00:00.000Z');
  });

  it('proposes a narrowed grant list for a role that uses a strict subset of its tools', () => {
    const r = reviewAudit(compiled, log.records);
    const n = r.narrowing.find((x) => x.role === 'reader')!;
    assert.deepEqual(n.used, ['read_file', 'search_files']);
    assert.deepEqual(n.unused, ['list_directory']);
    const proposed = parse(n.proposal) as unknown[];
    assert.deepEqual(proposed, [{ agent_role: 'reader', id: 'read-docs', tools: ['read_file', 'search_files'] }]);
    // the proposal, pasted into the policy, still allows every call the role made and nothing it did not use
    const edited = POLICY.replace(/ {2}- \{ id: read-docs.*\n/, `${n.proposal.split('\n').filter(Boolean).map((l) => `  ${l}`).join('\n')}\n`);
    const p = parsePolicy(edited, 'edited.yaml');
    assert.ok(p.ok, JSON.stringify(!p.ok && p.findings));
    const c = compile(p.parsed);
    const call = (tool: string) => decide(c, { principal: 'alice', roles: ['reader'], tool, now: Date.parse('2026-11-10T00:00:00Z') }).effect;
    assert.equal(call('read_file'), 'allow');
    assert.equal(call('search_files'), 'allow');
    assert.equal(call('list_directory'), 'deny');
    assert.equal(call('search_nodes'), 'deny');
  });

  it('does not propose narrowing a role that drops nothing', () => {
    const r = reviewAudit(compiled, log.records);
    // writer used write_file but never read_file: narrowing drops writer-reads
    const w = r.narrowing.find((x) => x.role === 'writer')!;
    assert.deepEqual(parse(w.proposal), [{ agent_role: 'writer', id: 'write-docs', tool: 'write_file', requires_approval: true }]);
    const full = writeLog([decision('2026-11-01T10:00:00Z', '1', 'a', 'writer', 'write_file', 'approval_required', ['write-docs']),
      decision('2026-11-01T10:01:00Z', '2', 'a', 'writer', 'read_file', 'allow', ['writer-reads'])]);
    assert.equal(reviewAudit(compiled, full.records).narrowing.some((x) => x.role === 'writer'), false);
  });

  it('reports approvals that were always granted, and ones always refused', () => {
    const r = reviewAudit(compiled, log.records);
    assert.deepEqual(r.approvals.map((a) => [a.verdict, a.grant, a.granted]), [['always_granted', 'write-docs', 3]]);
    const refused = writeLog([
      decision('2026-11-04T10:00:00Z', '5', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
      approval('2026-11-04T10:00:05Z', '5', 'writer', 'write_file', 'refused'),
      decision('2026-11-05T10:00:00Z', '6', 'alice', 'writer', 'write_file', 'approval_required', ['write-docs']),
      approval('2026-11-05T10:00:05Z', '6', 'writer', 'write_file', 'timeout'),
    ]);
    const a = reviewAudit(compiled, refused.records).approvals;
    assert.deepEqual(a.map((x) => [x.verdict, x.refused, x.timeout]), [['always_refused', 1, 1]]);
    const mixed = writeLog([...refused.records.slice(0, 2), decision('2026-11-05T10:00:00Z', '9', 'a', 'writer', 'write_file', 'approval_required', ['write-docs']), approval('2026-11-05T10:00:05Z', '9', 'writer', 'write_file', 'granted')]);
    assert.deepEqual(reviewAudit(compiled, mixed.records).approvals, []);
  });

  it('links an approval to its decision by session and request id, keeping ids 1 and "1" apart', () => {
    const [n, s] = [{ ...decision('2026-11-04T10:00:00Z', 'x', 'a', 'writer', 'write_file', 'allow', []), request_id: 1 }, decision('2026-11-04T10:00:00Z', '1', 'a', 'writer', 'write_file', 'allow', [])];
    assert.notEqual(requestKey({ ...n, v: 1, seq: 0, prev: '' }), requestKey({ ...s, v: 1, seq: 1, prev: '' }));
    assert.equal(requestKey({ ...s, v: 1, seq: 1, prev: '' }), requestKey({ ...approval('2026-11-04T10:00:05Z', '1', 'writer', 'write_file', 'granted'), v: 1, seq: 2, prev: '' }));
    const { request_id: _none, ...noId } = s;
    assert.equal(requestKey({ ...noId, v: 1, seq: 1, prev: '' }), undefined);
  });

  it('attributes an allowed call whose rule id is unknown to the role\'s matching grants, and says so', () => {
    const old = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'list_directory', 'allow', ['grants[9]'])]);
    const r = reviewAudit(compiled, old.records);
    assert.equal(r.grants.find((g) => g.grant === 'read-docs')!.calls, 1);
    assert.ok(r.findings.some((f) => f.rule === 'review/unknown-rule' && f.message.includes('`grants[9]`')));
  });

  it('counts a call whose time does not parse unless a period is asked for, and takes no first or last use from it', () => {
    const odd = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs']), decision('garbled', '2', 'alice', 'reader', 'read_file', 'allow', ['read-docs'])]);
    const g = reviewAudit(compiled, odd.records).grants.find((x) => x.grant === 'read-docs')!;
    assert.equal(g.calls, 2);
    assert.deepEqual([g.firstUsed, g.lastUsed], ['2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z']);
    const since = reviewAudit(compiled, odd.records, { since: Date.parse('2026-10-01T00:00:00Z') }).grants.find((x) => x.grant === 'read-docs')!;
    assert.equal(since.calls, 1);
  });

  it('formats as text naming unused grants and the proposal', () => {
    const text = formatReview(reviewAudit(compiled, log.records));
    assert.match(text, /UNUSED\s+writer-reads/);
    assert.match(text, /role reader uses read_file, search_files/);
    assert.match(text, /tools:\n\s+- read_file\n\s+- search_files/);
  });
});
