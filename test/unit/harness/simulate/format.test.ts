// Report rendering: JUnit XML that parsers accept whatever the values, shell-quoted commands.

import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatJunit, formatText, matrixLines, resultLine, shellQuote, xmlEscape, type PropertyResult, type SimulationReport } from '../../../../harness/simulate';

const report = (name: string): SimulationReport => ({
  file: 'p<&>.yaml', seed: 1, runs: 1, calls: 1, at: '2026-06-01T00:00:00.000Z', aborted: false, ok: false, allowVacuous: false,
  properties: [
    { kind: 'invariant', name, pointer: '/invariants/0', where: 'p.yaml:1:1', status: 'broken', checked: 1, violations: 1 },
    { kind: 'builtin', name: 'fine', pointer: '', status: 'passed', checked: 1, violations: 0 },
    { kind: 'builtin', name: 'empty', pointer: '', status: 'vacuous', checked: 0, violations: 0 },
  ],
  counterexamples: [{ kind: 'invariant', name, pointer: '/invariants/0', where: 'p.yaml:1:1', effect: 'allow', reasons: ['r'], why: 'a "why" <here>',
    call: { roles: ['r'], tool: 't', args: { s: 'nul\u0000 bell\u0007 lone\ud800 </failure>' }, context: {}, at: '2026-06-01T00:00:00.000Z' },
    replay: { seed: 1, path: '0', command: 'mandate simulate …' }, command: "mandate check --args '{}'" }],
  coverage: [], unexercised: [], matrix: [], universe: { roles: [], tools: [], times: [] }, notes: [],
});

describe('harness/simulate/format', () => {
  it('shows a matrix row for each pair some call was allowed or sent for approval, and sums the denied-only pairs a line per roles', () => {
    const row = (roles: string, tool: string, allow: number, approval: number, deny: number) => ({ roles, tool, allow, approval_required: approval, deny });
    const many = Array.from({ length: 14 }, (_, i) => row('ghost', `t${String(i).padStart(2, '0')}`, 0, 0, 3));
    assert.deepEqual(matrixLines([row('reader', 'read', 5, 0, 1), row('reader', 'write', 0, 0, 9), row('writer', 'write', 0, 4, 2), row('writer', 'unseen', 0, 0, 0), ...many]), [
      'decision matrix (roles × tool: allow / approval / deny):',
      '  reader  read   5 / 0 / 1',
      '  writer  write  0 / 4 / 2',
      'denied in every call (--format json has the counts):',
      '  reader  write',
      '  ghost   t00, t01, t02, t03, t04, t05, t06, t07, t08, t09, t10, t11 and 2 more',
    ]);
    assert.deepEqual(matrixLines([row('r', 't', 0, 0, 1)]), ['decision matrix (roles × tool: allow / approval / deny): no call was allowed or sent for approval', 'denied in every call (--format json has the counts):', '  r      t']);
  });

  it('writes JUnit that validates and parses back, even with hostile values', () => {
    const xml = formatJunit([report('names & <tags> "quoted"')]);
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
      testsuites: { testsuite: { '@name': string; '@failures': string; '@skipped': string; testcase: Array<{ '@name': string; failure?: unknown; skipped?: unknown }> } };
    };
    const suite = doc.testsuites.testsuite;
    assert.equal(suite['@name'], 'p<&>.yaml');
    assert.equal(suite['@failures'], '1');
    assert.equal(suite['@skipped'], '1');
    assert.equal(suite.testcase[0]!['@name'], 'names & <tags> "quoted"');
    assert.ok(suite.testcase[0]!.failure);
    assert.ok(suite.testcase[2]!.skipped !== undefined);
  });

  it('says a rule never exercised may only be unsampled, and how to tell', () => {
    const rule = { kind: 'grant' as const, id: 'grants[7]', pointer: '/grants/7', where: 'p.yaml:9:5', hits: 0 };
    const r: SimulationReport = { ...report('n'), calls: 10000, coverage: [rule, { ...rule, id: 'grants[8]', pointer: '/grants/8', hits: 3 }], unexercised: [rule] };
    const text = formatText(r);
    assert.ok(text.includes('coverage: 1 of 2 rules decided a call in 10000 calls (a rule never exercised may be dead — lint\'s dead/ rules say which — or only unsampled: more --runs reach it)'), text.join('\n'));
    assert.ok(text.includes('  never exercised: grant grants[7] (p.yaml:9:5)'));
    assert.ok(formatText({ ...r, coverage: [{ ...rule, hits: 1 }], unexercised: [] }).includes('coverage: 1 of 1 rules decided a call'));
  });

  it('replaces characters XML cannot carry', () => {
    assert.equal(xmlEscape('a\u0000b\ud800c'), 'a\ufffdb\ufffdc');
    assert.equal(xmlEscape('\ud83d\ude00'), '\ud83d\ude00');
  });

  it('quotes shell words only when needed, and quotes single quotes safely', () => {
    assert.equal(shellQuote('--role'), '--role');
    assert.equal(shellQuote('{"a":1}'), `'{"a":1}'`);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  describe('vacuous and invalid properties', () => {
    const props: PropertyResult[] = [
      { kind: 'invariant', name: 'typo role', pointer: '/invariants/0', where: 'p.yaml:9:5', status: 'invalid', note: 'role `raeder` (p.yaml:10:20) is not declared', checked: 3, violations: 0 },
      { kind: 'invariant', name: 'selects nothing', pointer: '/invariants/1', where: 'p.yaml:11:5', status: 'vacuous', note: 'no generated call fell within it, so it proved nothing', checked: 0, violations: 0 },
      { kind: 'builtin', name: 'read_only roles are never allowed destructive tools', pointer: '', status: 'vacuous', note: 'no manifest was given', checked: 0, violations: 0 },
      { kind: 'builtin', name: 'fine', pointer: '', status: 'passed', checked: 9, violations: 0 },
    ];
    const base = report('x');
    const r = (allowVacuous: boolean): SimulationReport => ({ ...base, ok: false, allowVacuous, properties: props, counterexamples: [] });
    type Suite = { '@failures': string; '@errors': string; '@skipped': string; testcase: Array<{ '@name': string; failure?: { '@type': string }; error?: unknown; skipped?: unknown }> };
    const parse = (xml: string): Suite => (new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as { testsuites: { testsuite: Suite } }).testsuites.testsuite;

    it('JUnit: an invalid invariant is an error, a vacuous invariant a failure, a vacuous built-in skipped', () => {
      const xml = formatJunit([r(false)]);
      assert.equal(XMLValidator.validate(xml), true);
      const suite = parse(xml);
      assert.equal(suite['@errors'], '1');
      assert.equal(suite['@failures'], '1');
      assert.equal(suite['@skipped'], '1');
      assert.ok(suite.testcase[0]!.error !== undefined);
      assert.equal(suite.testcase[1]!.failure?.['@type'], 'vacuous');
      assert.ok(suite.testcase[2]!.skipped !== undefined);
      assert.match(xml, /<testsuites name="mandate simulate" tests="4" failures="1" errors="1">/);
    });

    it('JUnit: with --allow-vacuous a vacuous invariant is skipped, never passed silently', () => {
      const suite = parse(formatJunit([r(true)]));
      assert.equal(suite['@failures'], '0');
      assert.equal(suite['@skipped'], '2');
    });

    it('the text names each outcome and the result line counts the vacuous ones', () => {
      const text = formatText(r(false)).join('\n');
      assert.match(text, /^INVALID invariant `typo role` \(p\.yaml:9:5\): role `raeder` \(p\.yaml:10:20\) is not declared$/m);
      assert.match(text, /^VACUOUS invariant `selects nothing` \(p\.yaml:11:5\): no generated call fell within it, so it proved nothing$/m);
      assert.match(text, /^vacuous builtin `read_only roles are never allowed destructive tools`: no manifest was given$/m);
      assert.equal(resultLine(r(false)), 'result: 1 of 4 properties hold, 1 invalid, 2 vacuous — 1 vacuous invariant proved nothing and fails the run (--allow-vacuous accepts it)');
      assert.equal(resultLine(r(true)), 'result: 1 of 4 properties hold, 1 invalid, 2 vacuous');
      const onlyBuiltin = { ...r(false), properties: [props[2]!, props[3]!] };
      assert.equal(resultLine(onlyBuiltin), 'result: 1 of 2 properties hold, 1 vacuous');
      assert.equal(resultLine({ ...r(false), properties: [props[3]!] }), 'result: all 1 properties hold');
    });
  });
});
