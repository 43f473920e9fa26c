// Properties of the linter on generated policies (the differential test's generator): it never throws,
// its findings are well-formed and point inside the file, it is deterministic, and `lint.ignore` silences.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { Finding, Policy, ToolManifest } from '../../../../policies';
import { lintText } from '../../../../policies/lint';
import { T0, policyArb } from '../../../property/arbitraries';
import { fcParams } from '../../../support/seed';

const MANIFEST: ToolManifest = {
  tools: ['read_file', 'write_file', 'issue_payment', 'delete_entities', 'list_invoices'].map((name, i) => ({
    name, inputSchema: { type: 'object', properties: { path: {}, amount: {}, vendor: {} } }, annotations: { readOnlyHint: i % 2 === 0 },
  })),
};

const asText = (p: Policy, yaml: boolean): string => (yaml ? stringify(p) : JSON.stringify(p, null, 2));

function wellFormed(f: Finding, text: string): void {
  const lines = text.split('\n').length;
  assert.match(f.rule, /^[a-z-]+(\/[a-z-]+)?$/);
  assert.ok(['error', 'warning', 'info'].includes(f.severity));
  assert.match(f.message, /^[^\n]+$/);
  assert.ok(f.range.start.line >= 1 && f.range.start.line <= lines, `${f.rule} at line ${f.range.start.line} of ${lines}`);
  assert.ok(f.range.start.col >= 1);
}

describe('lint on generated policies', () => {
  it('never throws, and every finding is well-formed and inside the file', () => {
    fc.assert(fc.property(policyArb, fc.boolean(), fc.boolean(), (policy, yaml, withTools) => {
      const text = asText(policy, yaml);
      const found = lintText(text, 'gen.mandate.yaml', { now: T0, ...(withTools ? { tools: MANIFEST } : {}) });
      for (const f of found) wellFormed(f, text);
    }), fcParams(200));
  });

  it('is deterministic: the same text and clock give the same findings', () => {
    fc.assert(fc.property(policyArb, (policy) => {
      const text = asText(policy, true);
      assert.deepEqual(lintText(text, 'g.mandate.yaml', { now: T0, tools: MANIFEST }), lintText(text, 'g.mandate.yaml', { now: T0, tools: MANIFEST }));
    }), fcParams(100));
  });

  it('`lint.ignore` naming every reported rule silences them all', () => {
    fc.assert(fc.property(policyArb, (policy) => {
      const found = lintText(asText(policy, true), 'g.mandate.yaml', { now: T0, tools: MANIFEST });
      if (found.some((f) => f.rule.startsWith('schema') || f.rule.startsWith('syntax'))) return;
      const ignore = Object.fromEntries(found.map((f) => [f.rule, 'silenced by the property test']));
      const again = lintText(asText({ ...policy, lint: { ignore } }, true), 'g.mandate.yaml', { now: T0, tools: MANIFEST });
      assert.deepEqual(again, []);
    }), fcParams(100));
  });
});
