// Report rendering: JUnit XML that parsers accept whatever the values, shell-quoted commands.

import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatJunit, shellQuote, xmlEscape, type SimulationReport } from '../../../../harness/simulate';

const report = (name: string): SimulationReport => ({
  file: 'p<&>.yaml', seed: 1, runs: 1, calls: 1, at: '2026-06-01T00:00:00.000Z', aborted: false, ok: false,
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

  it('replaces characters XML cannot carry', () => {
    assert.equal(xmlEscape('a\u0000b\ud800c'), 'a\ufffdb\ufffdc');
    assert.equal(xmlEscape('\ud83d\ude00'), '\ud83d\ude00');
  });

  it('quotes shell words only when needed, and quotes single quotes safely', () => {
    assert.equal(shellQuote('--role'), '--role');
    assert.equal(shellQuote('{"a":1}'), `'{"a":1}'`);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});
