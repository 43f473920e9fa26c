// parsePolicy(): every syntax and schema error carries a rule id and the file:line:col of the offending
// key or value, in YAML and in JSON; a valid policy parses with no findings.

import assert from 'node:assert/strict';
import { decodePolicy, formatFinding, MAX_POLICY_BYTES, parsePolicy, type Finding } from '../../../policies';

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

  it('lists the fields an object takes beside an unknown one (a test\'s `at` said only "unknown field": it goes in `call`)', () => {
    const f = only('version: 1\nroles: { a: {} }\ngrants: [{ agent_role: a, tool: t }]\ntests:\n  - { name: n, call: { role: a, tool: t }, expect: allow, at: "2026-01-01T00:00:00Z" }\n');
    assert.equal(f.rule, 'schema/unknown-field');
    assert.match(f.message, /^unknown field `at` in `tests\[0\]` \(known: name, call, expect, reason\b.*\)$/);
    const g = only('version: 1\nroles: { a: {} }\ngrants:\n  - agent_role: a\n    tool: t\n    scopes: [x]\n');
    assert.match(g.message, /known: .*\bscope\b/);
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

  it('reports keys that are the same once read as names (`true` and "true", `1` and "1") as duplicates', () => {
    at(only('version: 1\nroles:\n  true: {}\n  "true": {}\n'), 'syntax/duplicate-key', 4, 3);
    at(only('version: 1\nroles: { 1: {}, "1": {} }\n'), 'syntax/duplicate-key', 2, 17);
  });

  it('parses a large file the fast path declines in linear time (duplicate keys found with a set)', function () {
    // a tab in a comment sends the file to the `yaml` package, whose own duplicate check is quadratic
    const roles = Array.from({ length: 30_000 }, (_, i) => `  r${i}: {}`).join('\n');
    const start = Date.now();
    const fs = failures(`version: 1\t# tab\nroles:\n${roles}\n  r7: {}\n`);
    const ms = Date.now() - start;
    assert.ok(fs.some((f) => f.rule === 'syntax/duplicate-key' && f.range.start.line === 30_003), fs.map(formatFinding).join(' | '));
    assert.ok(ms < 6000, `took ${ms} ms`);
  });

  it('refuses a collection used as a key, at the key', () => {
    const f = only('version: 1\nroles:\n  [a, b]: {}\n');
    at(f, 'syntax', 3, 3);
    assert.match(f.message, /key/);
  });

  it('points a key that reads as empty (`~`) at the key', () => {
    at(only('version: 1\nroles:\n  ~: {}\n'), 'schema/name', 3, 3);
  });

  it('refuses YAML tags that would make a value other than JSON (!!omap, !!set, !!binary, !!timestamp, local tags)', () => {
    // `!!omap` read as a Map left `args` with no own properties: a scope that said `max: 10` allowed any amount
    const cases: Array<[string, number, number]> = [
      ['version: 1\nscopes:\n  s: { args: !!omap [ amount: { max: 10 } ] }\n', 3, 14],
      ['version: 1\nroles: !!set { r }\n', 2, 8],
      ['version: 1\nroles:\n  r: { description: !!binary aGVsbG8= }\n', 3, 21],
      ['version: 1\ngrants:\n  - { agent_role: a, tool: t, expires: !!timestamp 2030-01-01 }\n', 3, 40],
      ['version: 1\nroles: !mine { r: {} }\n', 2, 8],
    ];
    for (const [text, line, col] of cases) {
      const f = only(text);
      at(f, 'syntax', line, col);
      assert.match(f.message, /tag/, text);
    }
  });

  it('refuses a %YAML 1.1 directive, which changes what values mean (merge keys, yes/no, 1_000)', () => {
    const f = only('%YAML 1.1\n---\nversion: 1\nroles: { r: {} }\n');
    at(f, 'syntax', 1, 1);
    assert.match(f.message, /YAML 1\.2/);
  });

  it('counts columns on the first line after a byte order mark as editors do', () => {
    at(only('\ufeffversion: 2\n'), 'schema/value', 1, 10);
    at(only('\ufeffversion: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: a, tool: t, bogus: 1 }\n'), 'schema/unknown-field', 4, 31);
  });

  it('says a document nested too deeply is nested too deeply, at the place', () => {
    const f = only(`version: 1\nroles: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    at(f, 'syntax', 2, f.range.start.col);
    assert.doesNotMatch(f.message, /call stack/);
    assert.match(f.message, /nested too deeply/);
  });

  it('says a file holds more than one document without naming library functions', () => {
    const f = only('version: 1\n---\nversion: 1\n');
    at(f, 'syntax', 2, 1);
    assert.doesNotMatch(f.message, /parseAllDocuments/);
    assert.match(f.message, /one YAML document/);
  });

  it('names the offending key, once, when a role name has forbidden characters', function () {
    const fs = failures('version: 1\nroles:\n  "bad role": {}\n');
    assert.ok(fs.length >= 1);
    at(fs[0]!, 'schema/name', 3, 3);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /`bad role`/);
  });
});

describe('parsePolicy: a `.json` policy is JSON', () => {
  const J = 'p.mandate.json';
  it('points at the character where the text stops being JSON (YAML read these without a word)', () => {
    const cases: Array<[string, number, number, RegExp]> = [
      ['{\n  "version": 1,\n  "grants": [{ "agent_role": "r", "tool": "x" },]\n}\n', 3, 49, /Unexpected token '\]'/], // a trailing comma
      ['{"version": 1,}', 1, 15, /Expected double-quoted property name/],
      ['{"version": 1, // a comment\n}', 1, 16, /Expected double-quoted property name/],
      ["{'version': 1}", 1, 2, /Expected property name or '}'/],
      ['{"version": 1', 1, 14, /Expected ',' or '}' after property value|Unexpected end/],
      ['{"version": 1}\n{}', 2, 1, /Unexpected non-whitespace character after JSON/],
      ['', 1, 1, /Unexpected end/],
    ];
    for (const [text, line, col, why] of cases) {
      const f = only(text, J);
      at(f, 'syntax', line, col);
      assert.match(f.message, /^not valid JSON: /, formatFinding(f));
      assert.match(f.message, why, formatFinding(f));
      assert.doesNotMatch(f.message, /is not valid JSON|at position/, 'V8\'s own wording of the place is left out: the range says it');
    }
  });

  it('parses a JSON policy as before, and reads a `.yaml` file\'s JSON-like flow text as YAML', () => {
    const json = '{"version": 1, "roles": {"a": {"description": "A."}}, "grants": [{"agent_role": "a", "tool": "t"}]}';
    assert.ok(parsePolicy(json, J).ok);
    assert.ok(parsePolicy(`\ufeff${json}`, 'P.MANDATE.JSON').ok, 'a byte order mark and an upper-case name');
    assert.ok(parsePolicy('{"version": 1, "roles": {"a": {"description": "A."}}, "grants": [{"agent_role": "a", "tool": "t"},]}', 'p.mandate.yaml').ok);
  });
});

describe('decodePolicy: a policy file is UTF-8, never read with bytes replaced', () => {
  const bytes = (...parts: Array<string | number[]>): Uint8Array => Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));

  it('names the line and column of the first byte that is not UTF-8', () => {
    const r = decodePolicy(bytes('version: 1\nroles:\n  agent: { description: "Café ', [0xe9], ' agent" }\n'), 'p.mandate.yaml');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.findings.map(formatFinding), ['p.mandate.yaml:3:31: error syntax: the file is not UTF-8 text (byte 0xE9): save it as UTF-8']);
  });

  it('refuses overlong forms, surrogates, code points past U+10FFFF and a sequence cut off at the end', () => {
    for (const bad of [[0xc0, 0xae], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]]) {
      const r = decodePolicy(bytes('a: "', bad), 'p.yaml');
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) assert.equal(r.findings[0]!.range.start.col, 5);
    }
  });

  it('reads UTF-8 as it is: a byte order mark, every plane, and a written U+FFFD', () => {
    const r = decodePolicy(bytes([0xef, 0xbb, 0xbf], 'version: 1 # é 中 😀 \uFFFD\n'), 'p.yaml');
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.text, '\uFEFFversion: 1 # é 中 😀 \uFFFD\n');
  });
});
