// SARIF output is valid against the OASIS SARIF 2.1.0 schema (vendored from an npm package) and carries
// what GitHub code scanning reads: rule table, rule index, level, region, relative URIs, fingerprints.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Finding, ToolManifest } from '../../../../policies';
import { lintText } from '../../../../policies/lint';
import { RULE_META } from '../../../../extension/cli/commands/lint';
import { artifactUri, sarifText, toSarif } from '../../../../extension/cli/sarif';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'lint');

/** The draft-04 SARIF schema, read by ajv's draft-07 validator: only its top-level `id` keyword differs. */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(FIXTURES, 'sarif-2.1.0-rtm.5.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema['$schema'];
  schema['$id'] = schema['id'];
  delete schema['id'];
  // unicodeRegExp off: the schema's language-tag pattern has a stray `]` that only non-unicode regexes accept.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

function fixtureFindings(): Finding[] {
  const tools = JSON.parse(readFileSync(join(FIXTURES, 'tools.json'), 'utf8')) as ToolManifest;
  const readManifest = (p: string) => JSON.parse(readFileSync(join(FIXTURES, p), 'utf8')) as ToolManifest;
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.trigger.mandate.yaml')).flatMap((f) =>
    lintText(readFileSync(join(FIXTURES, f), 'utf8'), `test/fixtures/lint/${f}`, { now: Date.parse('2026-11-25T12:00:00Z'), tools, readManifest }));
}

describe('toSarif', () => {
  const validate = sarifValidator();

  it('the validator rejects a log that breaks the schema (so the next test can fail)', () => {
    assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false);
    assert.equal(validate({ version: '2.0.0', runs: [] }), false);
  });

  it('a log of every trigger fixture\'s findings is valid SARIF 2.1.0', () => {
    const findings = fixtureFindings();
    assert.ok(findings.length > 40);
    const log = toSarif(findings, RULE_META, '0.1.0');
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
  });

  it('syntax and schema findings are valid SARIF too, with their own rule entries', () => {
    const findings = lintText('version: 2\nroles: [\n', 'bad.mandate.yaml', { now: 0 });
    assert.ok(findings.length > 0);
    const log = toSarif(findings, RULE_META, '0.1.0') as { runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } } }> };
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    for (const f of findings) assert.ok(log.runs[0]!.tool.driver.rules.some((r) => r.id === f.rule));
  });

  it('results point at their rule, level and region as GitHub reads them', () => {
    const findings = fixtureFindings();
    type Result = { ruleId: string; ruleIndex: number; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }> };
    const log = toSarif(findings, RULE_META, '0.1.0') as { runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Result[] }> };
    const run = log.runs[0]!;
    run.results.forEach((r, i) => {
      const f = findings[i]!;
      assert.equal(run.tool.driver.rules[r.ruleIndex]?.id, r.ruleId);
      assert.equal(r.level, f.severity === 'info' ? 'note' : f.severity);
      const { region, artifactLocation } = r.locations[0]!.physicalLocation;
      assert.equal(artifactLocation.uri, f.range.file);
      assert.equal(region['startLine'], f.range.start.line);
      assert.equal(region['startColumn'], f.range.start.col);
      assert.ok(region['endLine']! > region['startLine'] || region['endColumn']! > region['startColumn']);
    });
  });

  it('escapes message text for SARIF itself: no embedded link or placeholder from a policy or a manifest', () => {
    assert.equal(sarifText('wipe [Approved by security](https://evil.example/x) {0} \\ ok'), 'wipe \\[Approved by security\\](https://evil.example/x) {{0}} \\\\ ok');
  });

  it('file URIs: relative stay relative with `/`, absolute become file URIs, odd characters are encoded', () => {
    assert.equal(artifactUri('policies/a b.mandate.yaml'), 'policies/a%20b.mandate.yaml');
    assert.equal(artifactUri('policies\\x.yaml'), 'policies/x.yaml');
    assert.equal(artifactUri('/srv/p#1.yaml'), 'file:///srv/p%231.yaml');
    assert.equal(artifactUri('C:\\p\\x.yaml'), 'file:///C:/p/x.yaml');
  });
});
