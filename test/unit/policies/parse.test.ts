// parsePolicy(): every syntax and schema error carries a rule id and the file:line:col of the offending
// key or value, in YAML and in JSON; a valid policy parses with no findings.

import assert from 'node:assert/strict';
import { formatFinding, MAX_POLICY_BYTES, parsePolicy, type Finding } from '../../../policies';

/** Parse text that must fail, returning its findings. */
function failures(text: string, file = 'p.mandate.yaml'): Finding[] {
  const r = parsePolicy(text, file);
  assert.equal(r.ok, false, 'the policy should not parse');
  return r.ok ? [] : r.findings;
}

/** The single finding of a text that must fail with exactly one. */
function only(text: string, file?: string): Finding {
  const fs = failures(text, file);
  assert.equal(fs.length, 1, `expected one finding, got: ${fs.map(formatFinding).join(' | ')}`);
  return fs[0]!;
}

/** Assert a finding's rule and start position (1-based line and column). */
function at(f: Finding, rule: string, line: number, col: number): void {
  assert.equal(f.rule, rule, formatFinding(f));
  assert.deepEqual([f.range.start.line, f.range.start.col], [line, col], formatFinding(f));
}

describe('parsePolicy: error positions', () => {
  it('parses a valid policy with no findings', () => {
    const r = parsePolicy('version: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: a, tool: t }\n', 'ok.mandate.yaml');
    assert.ok(r.ok);
    assert.deepEqual(r.findings, []);
  });

  it('points a duplicate key at its second occurrence', () => {
    at(only('version: 1\nroles:\n  a: {}\n  a: {}\n'), 'syntax/duplicate-key', 4, 3);
  });

  it('points tab indentation at its line', () => {
    at(only('version: 1\nroles:\n\ta: {}\n'), 'syntax', 3, 1);
  });

  it('reports an unclosed flow map as a syntax error at or after its opening line', () => {
    const f = only('version: 1\ngrants:\n  - { agent_role: a, tool: t\n');
    assert.equal(f.rule, 'syntax');
    assert.ok(f.range.start.line >= 3, formatFinding(f));
    assert.equal(f.range.file, 'p.mandate.yaml');
  });

  it('points an unknown field at its key', () => {
    const f = only('version: 1\nroles: { a: {} }\ngrants:\n  - agent_role: a\n    tool: t\n    scopes: [x]\n');
    at(f, 'schema/unknown-field', 6, 5);
    assert.equal(f.pointer, '/grants/0/scopes');
    assert.match(f.message, /unknown field `scopes` in `grants\[0\]`/);
  });

  it('points an unknown operator at its key and lists the known ones', () => {
    const f = only('version: 1\nscopes:\n  s:\n    args:\n      amount: { maximum: 10 }\n');
    at(f, 'schema/unknown-operator', 5, 17);
    assert.match(f.message, /`maximum`.*known: equals, in, not_in, min, max/);
  });

  it('points a value of the wrong type at the value', () => {
    const f = only('version: 1\nscopes:\n  s:\n    args:\n      amount: { max: "1000" }\n');
    at(f, 'schema/type', 5, 22);
    assert.match(f.message, /`scopes\.s\.args\.amount\.max` must be a number/);
  });

  it('points a missing field at the object that lacks it', () => {
    const f = only('version: 1\ngrants:\n  - tool: t\n');
    at(f, 'schema/missing-field', 3, 5);
    assert.match(f.message, /missing `agent_role`/);
  });

  it('reports tool and tools together once, at the grant', () => {
    at(only('version: 1\ngrants:\n  - { agent_role: a, tool: t, tools: [u] }\n'), 'schema/tool-or-tools', 3, 5);
  });

  it('points a malformed date-time at the value', () => {
    at(only('version: 1\ngrants:\n  - agent_role: a\n    tool: t\n    expires: 2026-13-01\n'), 'schema/format', 5, 14);
  });

  it('points a wrong version at the value', () => {
    const f = only('version: 2\n');
    at(f, 'schema/value', 1, 10);
    assert.match(f.message, /`version` must be `1`/);
  });

  it('points a tool name with forbidden characters at the value', () => {
    at(only('version: 1\ngrants:\n  - { agent_role: a, tool: "rm -rf" }\n'), 'schema/name', 3, 28);
  });

  it('gives JSON policies positions too', () => {
    const text = '{\n  "version": 1,\n  "grants": [\n    { "agent_role": "a", "tool": "t", "colour": "red" }\n  ]\n}\n';
    const f = only(text, 'p.mandate.json');
    at(f, 'schema/unknown-field', 4, 39);
    assert.equal(f.range.file, 'p.mandate.json');
  });

  it('refuses a document that is not a mapping, at 1:1', () => {
    at(only('- 1\n- 2\n'), 'schema/type', 1, 1);
    at(only(''), 'schema/type', 1, 1);
  });

  it('refuses an oversized file without parsing it', () => {
    const f = only(`version: 1\n# ${'x'.repeat(MAX_POLICY_BYTES)}\n`);
    at(f, 'syntax', 1, 1);
    assert.match(f.message, /larger than/);
  });

  it('renders findings as file:line:col: severity rule: message', () => {
    const line = formatFinding(only('version: 2\n', 'finance.mandate.yaml'));
    assert.equal(line, 'finance.mandate.yaml:1:10: error schema/value: `version` must be `1`');
  });

  it('names the offending key, once, when a role name has forbidden characters', function () {
    const fs = failures('version: 1\nroles:\n  "bad role": {}\n');
    assert.ok(fs.length >= 1);
    at(fs[0]!, 'schema/name', 3, 3);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /`bad role`/);
  });
});
