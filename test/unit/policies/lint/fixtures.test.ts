// Table-driven over test/fixtures/lint/: every rule has a fixture that triggers it (at the positions its
// `# expect:` header lists) and a near-miss fixture that must not; every fix points at a real node.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, pointerSegments, type Finding, type ToolManifest } from '../../../../policies';
import { MANIFEST_RULE, RULES, lintText } from '../../../../policies/lint';
import { fixEdit } from '../../../../extension/editor/fixEdit';

export const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'lint');
/** The clock every fixture is linted at. */
export const NOW = Date.parse('2026-11-25T12:00:00Z');

interface Fixture { file: string; rule: string; kind: 'trigger' | 'near-miss'; tools?: ToolManifest; expect: string[]; text: string }

function readManifest(path: string): ToolManifest {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as ToolManifest;
}

function load(file: string): Fixture {
  const m = /^(.+)\.(trigger|near-miss)\.mandate\.yaml$/.exec(file);
  assert.ok(m, `fixture name \`${file}\` must be RULE.trigger|near-miss.mandate.yaml`);
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const header = (key: string): string => new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const tools = header('tools');
  const expect = header('expect');
  return {
    file, rule: m[1]!.replace(/--/g, '/'), kind: m[2] as Fixture['kind'], text,
    ...(tools && tools !== 'none' ? { tools: readManifest(tools) } : {}),
    expect: expect === 'none' || expect === '' ? [] : expect.split(/,\s*/),
  };
}

/** Lint a fixture the way the CLI would: its manifest, its servers' manifests, the fixed clock. */
export function lintFixture(f: Fixture): Finding[] {
  return lintText(f.text, f.file, { now: NOW, readManifest, ...(f.tools ? { tools: f.tools } : {}) });
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.mandate.yaml')).sort().map(load);
const ruleIds = [...RULES.map((r) => r.id), MANIFEST_RULE];

function has(node: unknown, pointer: string): boolean {
  let cur = node;
  for (const seg of pointerSegments(pointer)) {
    if (!cur || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return false;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return true;
}

describe('lint fixtures', () => {
  it('every rule has a trigger and a near-miss fixture', () => {
    for (const id of ruleIds) {
      for (const kind of ['trigger', 'near-miss']) {
        assert.ok(fixtures.some((f) => f.rule === id && f.kind === kind), `missing ${kind} fixture for \`${id}\``);
      }
    }
    for (const f of fixtures) assert.ok(ruleIds.includes(f.rule), `fixture \`${f.file}\` names no rule`);
  });

  for (const f of fixtures) {
    it(`${f.rule}: ${f.kind} fixture ${f.kind === 'trigger' ? 'reports at ' + f.expect.join(', ') : 'reports nothing'}`, () => {
      const parsed = parsePolicy(f.text, f.file);
      assert.ok(parsed.ok, `fixture is not schema-valid: ${JSON.stringify(parsed.findings)}`);
      const all = lintFixture(f);
      const mine = all.filter((x) => x.rule === f.rule);
      const at = mine.map((x) => `${x.range.start.line}:${x.range.start.col}`);
      if (f.kind === 'near-miss') {
        assert.deepEqual(mine.map((x) => x.message), []);
        return;
      }
      assert.ok(f.expect.length > 0, 'a trigger fixture lists where its findings are (`# expect: L:C, …`)');
      assert.deepEqual(at, f.expect, mine.map((x) => x.message).join('\n'));
      for (const x of mine) {
        assert.match(x.message, /^[^A-Z\n][^\n]*[^.\n]$/, 'messages are one line, lowercase, no final period');
        assert.equal(x.severity, RULES.find((r) => r.id === f.rule)?.severity ?? 'error');
        for (const fix of x.fix ?? []) {
          const target = fix.op === 'add' ? fix.pointer.slice(0, fix.pointer.lastIndexOf('/')) : fix.pointer;
          assert.ok(has(parsed.parsed.policy, target), `fix \`${fix.title}\` points at \`${target}\`, which the policy lacks`);
        }
      }
    });
  }

  for (const f of fixtures.filter((x) => x.kind === 'trigger')) {
    it(`${f.rule}: each fix, applied to the trigger fixture, leaves a valid policy with one finding fewer`, () => {
      const before = lintFixture(f).filter((x) => x.rule === f.rule);
      const fixes = before.flatMap((x) => x.fix ?? []);
      for (const fix of fixes) {
        const edit = fixEdit(f.text, fix, false);
        assert.ok(edit, `fix \`${fix.title}\` does not apply`);
        const text = f.text.slice(0, edit.start) + edit.text + f.text.slice(edit.end);
        const after = lintFixture({ ...f, text });
        assert.deepEqual(after.filter((x) => x.rule.startsWith('schema') || x.rule.startsWith('syntax')), [], text);
        assert.ok(after.filter((x) => x.rule === f.rule).length < before.length, `fix \`${fix.title}\` did not remove its finding:\n${text}`);
      }
    });
  }
});
