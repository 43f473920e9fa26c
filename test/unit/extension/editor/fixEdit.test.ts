// Tests that quick-fix data becomes a minimal text edit that keeps the rest of the file as written.
import assert from 'node:assert/strict';
import { fixEdit, minimalReplacement } from '../../../../extension/editor/fixEdit';

const apply = (text: string, r: { start: number; end: number; text: string }): string => text.slice(0, r.start) + r.text + text.slice(r.end);

describe('editor fixEdit', () => {
  const yaml = '# keep me\nversion: 1\nroles:\n  a: { description: x }   # and me\ngrants:\n  - agent_role: b\n    tool: t\n';
  it('adds a role under roles and leaves comments alone', () => {
    const r = fixEdit(yaml, { title: 'declare', op: 'add', pointer: '/roles/b', value: { description: 'TODO' } }, false)!;
    const out = apply(yaml, r);
    assert.match(out, /# keep me/);
    assert.match(out, /# and me/);
    assert.match(out, /\n {2}b:/);
    assert.ok(r.start > yaml.indexOf('roles:'), 'edit starts after what it keeps');
  });
  it('adds a key to a list item', () => {
    const r = fixEdit(yaml, { title: 'approve', op: 'add', pointer: '/grants/0/requires_approval', value: true }, false)!;
    assert.match(apply(yaml, r), /tool: t\n {4}requires_approval: true\n/);
  });
  it('renames a key in place', () => {
    const text = 'version: 1\nscopes:\n  s: { args: { p: { prefix: docs/ } } }\n';
    const r = fixEdit(text, { title: 'within', op: 'rename_key', pointer: '/scopes/s/args/p/prefix', key: 'within' }, false)!;
    assert.match(apply(text, r), /within: docs\//);
  });
  it('edits JSON policies as JSON', () => {
    const text = '{\n  "version": 1,\n  "grants": [{ "agent_role": "a", "tool": "t" }]\n}\n';
    const out = apply(text, fixEdit(text, { title: 'x', op: 'add', pointer: '/grants/0/requires_approval', value: true }, true)!);
    assert.equal((JSON.parse(out) as { grants: Array<{ requires_approval: boolean }> }).grants[0]!.requires_approval, true);
  });
  it('refuses to edit a file that does not parse', () => {
    assert.equal(fixEdit('a: [', { title: 'x', op: 'add', pointer: '/b', value: 1 }, false), undefined);
  });
  it('finds the smallest replacement', () => {
    assert.deepEqual(minimalReplacement('abcXdef', 'abcYYdef'), { start: 3, end: 4, text: 'YY' });
  });
});
