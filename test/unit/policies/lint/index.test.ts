// lintText and runRules: suppression with a stated reason (node, ancestor, whole file), the shipped
// examples, schema errors before rules, and the tool classification the rules share.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../../../../policies';
import { RULES, lintText, runRules, toolNature } from '../../../../policies/lint';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'policies', 'examples');

const payer = (extra: string, grantExtra = ''): string => `version: 1
roles: { payer: { description: pays } }
audit: { path: a.jsonl }
${extra}
grants:
  - agent_role: payer
    tool: issue_payment
${grantExtra}`;

const rules = (text: string): string[] => lintText(text, 'p.mandate.yaml', { now: NOW }).map((f) => f.rule);

describe('lintText', () => {
  it('reports a financial tool without approval (the baseline the suppression tests silence)', () => {
    assert.deepEqual(rules(payer('')), ['approval/financial']);
  });

  it('lint_ignore on the grant silences that rule there, with its reason', () => {
    assert.deepEqual(rules(payer('', '    lint_ignore: { approval/financial: the server caps payments at 5 EUR }\n')), []);
  });

  it('lint_ignore silences only the rule it names', () => {
    assert.deepEqual(rules(payer('', '    lint_ignore: { approval/destructive: not destructive }\n')), ['approval/financial']);
  });

  it('a lint_ignore naming no rule says which rule it may have meant', () => {
    const f = lintText(payer('', '    lint_ignore: { approval/financal: the server caps payments at 5 EUR }\n'), 'p.mandate.yaml', { now: NOW });
    assert.deepEqual(f.map((x) => x.rule), ['approval/financial', 'lint/unknown-rule']);
    assert.match(f[1]!.message, /^`approval\/financal` is not a lint rule \(did you mean `approval\/financial`\?\): this entry silences nothing$/);
  });

  it('a subsumed grant says which of its conditions the other grant voids: a time window, a scope', () => {
    const text = `version: 1
roles: { ops: { description: Ops. } }
audit: { path: a.jsonl }
scopes: { known: { args: { service: { in: [api, web] } } } }
grants:
  - { agent_role: ops, tools: ["restart_*"] }
  - { agent_role: ops, tool: restart_service, not_before: "2026-11-20T00:00:00Z", expires: "2026-12-20T00:00:00Z" }
  - { agent_role: ops, tool: restart_worker, scope: [known] }
`;
    const f = lintText(text, 'p.mandate.yaml', { now: NOW }).filter((x) => x.rule === 'dead/subsumed-grant').map((x) => x.message);
    assert.equal(f.length, 2);
    assert.match(f[0]!, /grants\[1\] is already covered by grants\[0\] .* — its window \(from 2026-11-20T00:00:00Z until 2026-12-20T00:00:00Z\) limits nothing: the other grant allows these calls at any time; if it was meant to, narrow the other grant/);
    assert.match(f[1]!, /grants\[2\] is already covered by grants\[0\] .* — its scope `known` limits nothing;/);
  });

  it('lint.ignore silences a rule for the whole file', () => {
    assert.deepEqual(rules(payer('lint: { ignore: { approval/financial: a sandbox policy with play money } }')), []);
  });

  it('a suppression needs a stated reason: an empty one is a schema error', () => {
    const found = lintText(payer('', '    lint_ignore: { approval/financial: "" }\n'), 'p.mandate.yaml', { now: NOW });
    assert.ok(found.some((f) => f.rule.startsWith('schema/')), JSON.stringify(found));
  });

  it('schema errors come alone: rules do not run on an invalid policy', () => {
    assert.deepEqual(rules('version: 1\ngrants: [{ agent_role: x, tool: "*", colour: red }]\n'), ['schema/unknown-field']);
  });

  it('every rule has a stable id, a severity, a one-line why and an example', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const r of RULES) {
      assert.match(r.id, /^[a-z-]+\/[a-z-]+$/);
      assert.ok(['error', 'warning', 'info'].includes(r.severity));
      assert.match(r.why, /^[^A-Z\n][^\n]*[^.\n]$/, r.id);
      assert.ok(r.example, r.id);
    }
  });

  it('a rule that throws becomes an error finding; the other rules still report', () => {
    const parsed = parsePolicy(payer(''), 'p.mandate.yaml');
    assert.ok(parsed.ok);
    const boom = { id: 'test/boom', severity: 'warning' as const, why: 'throws', check: (): never => { throw new Error('bad state\nmore'); } };
    const found = runRules({ policy: parsed.parsed.policy, source: parsed.parsed.source, now: NOW }, [boom, ...RULES]);
    assert.deepEqual(found.map((f) => [f.rule, f.severity, f.message]).slice(0, 2),
      [['test/boom', 'error', 'lint rule failed: bad state'], ['approval/financial', 'error', found[1]!.message]]);
  });

  it('the shipped examples lint with no errors', () => {
    const files = readdirSync(EXAMPLES).filter((f) => /\.mandate\.(ya?ml|json)$/.test(f));
    assert.ok(files.length > 0);
    for (const f of files) {
      const errors = lintText(readFileSync(join(EXAMPLES, f), 'utf8'), f, { now: NOW }).filter((x) => x.severity === 'error');
      assert.deepEqual(errors, [], f);
    }
  });
});

describe('toolNature', () => {
  it('readOnlyHint: true is never destructive, whatever destructiveHint and the name say', () => {
    const n = toolNature('delete_everything', { name: 'delete_everything', annotations: { readOnlyHint: true, destructiveHint: true } });
    assert.deepEqual(n, { changes: false, destructive: false, financial: false, basis: 'annotations' });
  });

  it('annotations without readOnlyHint: destructive unless destructiveHint is false (the MCP defaults)', () => {
    assert.equal(toolNature('tidy', { name: 'tidy', annotations: { readOnlyHint: false } }).destructive, true);
    assert.equal(toolNature('tidy', { name: 'tidy', annotations: { destructiveHint: false } }).destructive, false);
  });

  it('falls back to the name: verbs that write, destroy or pay', () => {
    assert.equal(toolNature('write_file').changes, true);
    assert.equal(toolNature('createIssue').changes, true);
    assert.equal(toolNature('get_issue').changes, false);
    assert.equal(toolNature('list_payments').financial, false);
    assert.equal(toolNature('issue_payment').financial, true);
    assert.equal(toolNature('refund').financial, true);
    assert.equal(toolNature('git_reset').destructive, true);
    assert.equal(toolNature('run-code').destructive, true);
    assert.equal(toolNature('read_text_file').changes, false);
    assert.equal(toolNature('search_and_delete').destructive, true);
  });
});
