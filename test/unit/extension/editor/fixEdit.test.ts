// Tests that quick-fix data becomes a minimal text edit that keeps the rest of the file as written.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixEdit, minimalReplacement } from '../../../../extension/editor/fixEdit';
import { lintText } from '../../../../policies/lint';

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
  it('edits a JSON policy where the edit belongs, keeping every other line as written (it re-serialised the whole file)', () => {
    const text = '{ "version": 1,\n  "roles": { "a": { "description": "x" } },\n  "grants": [ { "agent_role": "b", "tool": "t" } ],\n  "deny": [ { "id": "d", "tool": "x", "reason": "r" } ]\n}\n';
    const cases: Array<[Parameters<typeof fixEdit>[1], (o: Record<string, any>) => unknown, unknown]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      [{ title: 'declare', op: 'add', pointer: '/roles/b', value: { description: 'TODO' } }, (o) => o['roles'].b, { description: 'TODO' }],
      [{ title: 'rename', op: 'rename_key', pointer: '/grants/0/tool', key: 'tools' }, (o) => o['grants'][0].tools, 't'],
      [{ title: 'replace', op: 'replace', pointer: '/version', value: 2 }, (o) => o['version'], 2],
      [{ title: 'remove', op: 'remove', pointer: '/deny/0/reason' }, (o) => o['deny'][0].reason, undefined],
      [{ title: 'append', op: 'add', pointer: '/grants/-', value: { agent_role: 'a', tool: 'u' } }, (o) => o['grants'].length, 2],
    ];
    for (const [fix, read, want] of cases) {
      const r = fixEdit(text, fix, true);
      assert.ok(r, fix.title);
      const out = apply(text, r);
      assert.deepEqual(read(JSON.parse(out) as Record<string, unknown>), want, `${fix.title}: ${out}`);
      // the lines the edit did not touch are as they were
      const kept = text.split('\n').filter((line) => out.includes(line));
      assert.ok(kept.length >= text.split('\n').length - 2, `${fix.title} rewrote the file:\n${out}`);
    }
  });
  it('refuses to edit a file that does not parse', () => {
    assert.equal(fixEdit('a: [', { title: 'x', op: 'add', pointer: '/b', value: 1 }, false), undefined);
  });
  it('adds a role as one new line, touching nothing else', () => {
    const r = fixEdit(yaml, { title: 'declare', op: 'add', pointer: '/roles/b', value: { description: 'TODO' } }, false)!;
    assert.equal(r.start, r.end, 'an insertion');
    assert.equal(apply(yaml, r), yaml.replace('# and me\n', '# and me\n  b: { description: TODO }\n'));
  });
  it('adds a key inside a flow mapping in place', () => {
    const text = 'grants:\n  - { agent_role: a, tools: [x, y] }   # c\n';
    const r = fixEdit(text, { title: 'approve', op: 'add', pointer: '/grants/0/requires_approval', value: true }, false)!;
    assert.equal(apply(text, r), 'grants:\n  - { agent_role: a, tools: [x, y], requires_approval: true }   # c\n');
  });
  it('replaces a value in place', () => {
    const text = 'grants:\n  - { agent_role: a, tools: ["*"] }\n';
    const r = fixEdit(text, { title: 'narrow', op: 'replace', pointer: '/grants/0/tools', value: ['read', 'list'] }, false)!;
    assert.equal(apply(text, r), 'grants:\n  - { agent_role: a, tools: [ read, list ] }\n');
  });
  it('appends to a block list', () => {
    const text = 'deny:\n  - { tools: [a], reason: x }\nother: 1\n';
    const r = fixEdit(text, { title: 'deny', op: 'add', pointer: '/deny/-', value: { tools: ['b'], reason: 'y' } }, false)!;
    assert.equal(apply(text, r), 'deny:\n  - { tools: [a], reason: x }\n  - { tools: [ b ], reason: y }\nother: 1\n');
  });
  it('finds the smallest replacement', () => {
    assert.deepEqual(minimalReplacement('abcXdef', 'abcYYdef'), { start: 3, end: 4, text: 'YY' });
  });
});

describe('editor fixEdit on every shipped and fixture policy', () => {
  const dirs = [join(__dirname, '../../../../policies/examples'), join(__dirname, '../../../editor/fixtures')];
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.mandate.yaml')).map((f) => join(d, f)));
  it('applies each offered fix as an edit that removes its finding', () => {
    let fixes = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const finding of lintText(text, 'p.mandate.yaml')) {
        for (const fix of finding.fix ?? []) {
          const r = fixEdit(text, fix, false);
          assert.ok(r, `${file}: fix \`${fix.title}\` does not apply`);
          const again = lintText(apply(text, r), 'p.mandate.yaml').filter((f) => f.rule === finding.rule && f.pointer === finding.pointer);
          assert.deepEqual(again, [], `${file}: \`${fix.title}\` left its finding`);
          fixes++;
        }
      }
    }
    assert.ok(fixes >= 3, `only ${fixes} fixes exercised`);
  });
});
