// text/replacement-character: a U+FFFD left in a policy by a decoder is reported where it stands, in values and keys.

import assert from 'node:assert/strict';
import { formatFinding } from '../../../../policies';
import { lintText } from '../../../../policies/lint';

const RULE = 'text/replacement-character';
const found = (text: string): string[] => lintText(text, 'p.mandate.yaml', { now: Date.parse('2026-06-01T00:00:00Z') }).filter((f) => f.rule === RULE).map(formatFinding);

describe('text/replacement-character', () => {
  it('reports a value and a key holding U+FFFD, at their place', () => {
    const text = 'version: 1\nroles:\n  payer: { description: "Pays \\uFFFD vendors." }\ngrants: [{ agent_role: payer, tool: pay_vendor, requires_approval: true }]\ndeny: [{ id: s, tool: pay_vendor, args: { "vend\uFFFDr": { in: ["caf\uFFFD-corp"] } }, reason: No. }]\n';
    assert.deepEqual(found(text), [
      'p.mandate.yaml:3:25: warning text/replacement-character: `Pays � vendors.` holds U+FFFD (�), a character lost in decoding: it matches nothing that was meant — retype it',
      'p.mandate.yaml:5:43: warning text/replacement-character: the key `vend�r` holds U+FFFD (�), a character lost in decoding — retype it',
      'p.mandate.yaml:5:60: warning text/replacement-character: `caf�-corp` holds U+FFFD (�), a character lost in decoding: it matches nothing that was meant — retype it',
    ]);
  });

  it('says nothing of a policy without one', () => {
    assert.deepEqual(found('version: 1\nroles: { payer: { description: Pays café vendors. } }\ngrants: [{ agent_role: payer, tool: pay_vendor, requires_approval: true }]\n'), []);
  });
});
