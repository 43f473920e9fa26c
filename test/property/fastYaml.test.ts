// The fast YAML path (policies/fastYaml.ts) against the `yaml` package, which has the last word:
// on any text the fast path accepts, yaml must accept it too, produce the same JavaScript value and
// the same offsets for every node. The fast path may decline (undefined) anything; how often it
// declines on ordinary documents is measured and bounded, so a path that always declines fails.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { fastParseYaml } from '../../policies/fastYaml';
import { buildSourceMap, SourceMap } from '../../policies/source';
import { parsePolicy } from '../../policies';
import { generatePolicy } from '../bench/lint.bench';
import { fcParams } from '../support/seed';

const ROOT = join(__dirname, '../..');

type Offsets = Map<string, number[]>;

/** The fast path's value and offsets, or undefined when it declines. */
function fast(text: string): { value: unknown; offsets: Offsets } | undefined {
  const offsets: Offsets = new Map();
  const r = fastParseYaml(text, (p, s, e, ks, ke) => offsets.set(p, ks === undefined ? [s, e] : [s, e, ks, ke ?? ks]));
  return r ? { value: r.value, offsets } : undefined;
}

/** The `yaml` package's answer: errors, or the value and offsets (the same walk parse.ts uses). */
function reference(text: string): { errors: string[] } | { value: unknown; offsets: Offsets } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => e.message) };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { errors: [(err as Error).message] };
  }
  return { value, offsets: buildSourceMap('x', text, doc.contents).offsets() };
}

/** Fails unless the fast path declines or agrees with yaml exactly; true when it accepted. */
function agrees(text: string): boolean {
  const f = fast(text);
  if (!f) return false;
  const r = reference(text);
  const show = JSON.stringify(text);
  if ('errors' in r) assert.fail(`fast path accepted text yaml rejects (${r.errors[0]}): ${show}`);
  assert.ok(isDeepStrictEqual(f.value, r.value), `values differ for ${show}:\nfast ${JSON.stringify(f.value)}\nyaml ${JSON.stringify(r.value)}`);
  for (const [pointer, o] of r.offsets) {
    assert.deepEqual(f.offsets.get(pointer), o, `offsets of ${pointer || '(root)'} differ for ${show}`);
  }
  assert.equal(f.offsets.size, r.offsets.size, `node count differs for ${show}`);
  return true;
}

/** Words that stress plain scalars, keys and numbers. */
const TRICKY = ['a', 'role_1', 'read_file', 'with space', 'a:b', 'a: b', 'x #y', 'x#y', '#x', '-x', '- x', '-', '?x', ':x', 'a,b', '[a]', '{a}',
  '1', '-1', '+1', '007', '1.5', '.5', '1e3', '1_000', '0x1F', '0o17', '.inf', '-.Inf', '.nan', 'true', 'False', 'yes', 'null', '~', 'NULL',
  '', ' lead', 'trail ', 'a/b', 'a~b', "it's", 'say "hi"', 'back\\slash', 'é', '日本', '😀', 'tab\there', 'line\nbreak', '2026-12-31T23:59:59Z',
  'env:TOKEN', '${NAME}', '*', 'search_*', '&anchor', '*alias', '!tag', '|', '>', '%', '@', '`', '<<', '__proto__', '---', '...', 'a\u2028b'];

const scalarArb = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY), weight: 4 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: fc.constantFrom(true, false, null, 0, -0, 1e21, 0.1), weight: 1 },
);
const keyArb = fc.oneof({ arbitrary: fc.constantFrom(...TRICKY), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 8 }), weight: 1 });
const { value: valueArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 4 })),
}));

/** How a document is written: the ways people and tools write YAML and JSON. */
const renderArb = fc.record({
  style: fc.constantFrom('any', 'block', 'flow', 'json', 'json-compact'),
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  strings: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  padding: fc.boolean(),
  lineWidth: fc.constantFrom(0, 0, 30),
});

interface Render { style: string; indent: number; indentSeq: boolean; strings: string; padding: boolean; lineWidth: number }

function render(value: unknown, r: Render): string {
  if (r.style === 'json') return `${JSON.stringify(value, null, r.indent)}\n`;
  if (r.style === 'json-compact') return JSON.stringify(value);
  return stringify(value, {
    collectionStyle: r.style as 'any' | 'block' | 'flow', indent: r.indent, indentSeq: r.indentSeq,
    defaultStringType: r.strings as 'PLAIN', defaultKeyType: null, flowCollectionPadding: r.padding, lineWidth: r.lineWidth,
  });
}

/** Comments and blank lines slipped in between lines, as people leave them. */
function decorate(text: string, at: number[], kinds: number[]): string {
  const lines = text.split('\n');
  at.forEach((a, i) => {
    const line = a % (lines.length + 1);
    const indent = /^ */.exec(lines[line] ?? '')?.[0] ?? '';
    const kind = kinds[i % kinds.length] ?? 0;
    if (kind === 0) lines.splice(line, 0, '');
    else if (kind === 1) lines.splice(line, 0, `${indent}# a comment: with [flow] {chars}`);
    else if (kind === 2 && lines[line] !== undefined && lines[line] !== '') lines[line] = `${lines[line]} # trailing`;
    else lines.splice(line, 0, '# at column 0');
  });
  return lines.join('\n');
}

/** Policy-like files the product ships and tests: every one must take the fast path and agree. */
function shippedTexts(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const dir of ['policies/examples', 'test/fixtures/lint']) {
    for (const f of readdirSync(join(ROOT, dir))) {
      if (/\.mandate\.(ya?ml|json)$/.test(f)) out.push([`${dir}/${f}`, readFileSync(join(ROOT, dir, f), 'utf8')]);
    }
  }
  return out;
}

/** Edits that break YAML in the ways typing does: a character dropped, doubled or inserted, a line moved in or out. */
const editArb = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'insert', 'dedent', 'indent'),
  ch: fc.constantFrom(':', '-', '#', '[', ']', '{', '}', ',', "'", '"', ' ', '\n', '\t', 'a', '&', '*', '!', '|', '>', '?', '\\', '0', '\r', '\r\n'),
});

function edit(text: string, e: { at: number; op: string; ch: string }): string {
  const at = e.at % Math.max(1, text.length);
  switch (e.op) {
    case 'delete': return text.slice(0, at) + text.slice(at + 1);
    case 'insert': return text.slice(0, at) + e.ch + text.slice(at);
    case 'dedent': {
      const start = text.lastIndexOf('\n', at - 1) + 1;
      return text.startsWith(' ', start) ? text.slice(0, start) + text.slice(start + 1) : text;
    }
    default: {
      const start = text.lastIndexOf('\n', at - 1) + 1;
      return `${text.slice(0, start)} ${text.slice(start)}`;
    }
  }
}

describe('fast YAML path agrees with the yaml package', () => {
  it('takes the fast path on every shipped example and lint fixture, with the same value and offsets', () => {
    const texts = shippedTexts();
    assert.ok(texts.length >= 70, `found only ${texts.length} policy files`);
    for (const [name, text] of texts) {
      assert.ok(agrees(text), `${name}: fast path declined`);
      assert.ok(agrees(text.replace(/\n/g, '\r\n')), `${name} with CRLF: fast path declined`);
    }
  });

  it('takes the fast path on the 1,000-role bench policy, and parsePolicy gives the same findings ranges either way', () => {
    const text = generatePolicy(200);
    assert.ok(agrees(text));
    const parsed = parsePolicy(text, 'bench.mandate.yaml');
    assert.ok(parsed.ok);
    const doc = parseDocument(text);
    const slow = buildSourceMap('bench.mandate.yaml', text, doc.contents);
    for (const pointer of ['/grants/16/tools/2', '/grants/17/requires_approval', '/roles/role_3', '/scopes/scope_9/args/amount/max', '/servers/srv_4/credential', '/grants/399']) {
      assert.deepEqual(parsed.parsed.source.get(pointer), slow.get(pointer), pointer);
      assert.ok(parsed.parsed.source.get(pointer), pointer);
    }
  });

  it('on generated documents in every style: accepts most, and agrees whenever it accepts', () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(fc.property(valueArb, renderArb, fc.array(fc.nat(), { maxLength: 4 }), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 }), (value, r, at, kinds) => {
      runs++;
      const text = decorate(render(value, r), at, kinds);
      if (agrees(text)) accepted++;
      // the same document saved with Windows line breaks: the same value, offsets moved by one per line
      agrees(text.replace(/\n/g, '\r\n'));
    }), fcParams(Number(process.env['MANDATE_FAST_YAML_RUNS'] ?? 3000)));
    process.stderr.write(`[fast yaml] generated documents: ${accepted} of ${runs} took the fast path\n`);
    // Plain, quoted and flow documents of ordinary values must mostly go fast; tricky strings rightly decline.
    assert.ok(accepted >= runs * 0.4, `fast path accepted only ${accepted} of ${runs} generated documents`);
  });

  it('on the shipped policies broken by typing: never accepts what yaml rejects or reads differently', () => {
    const texts = shippedTexts().map(([, t]) => t);
    fc.assert(fc.property(fc.constantFrom(...texts), fc.array(editArb, { minLength: 1, maxLength: 3 }), (text, edits) => {
      agrees(edits.reduce(edit, text));
    }), fcParams(Number(process.env['MANDATE_FAST_YAML_RUNS'] ?? 3000)));
  });

  it('agrees on hand-picked edge cases', () => {
    const cases = [
      'a: 1\nb:\n  c: x # hi\n  d: [1, 2]\n\n# end\ne:\n- 1\n- k: v\n  j: w\n\n',
      'a:\nb: {x: 1, y: }\nc: [ ]\nd: ""\n', 'a:   # c\nb: 1', 'k: { a: [1,\n  2], b: c }\nz: 1', 'k: [\n  a\n]\n', 'k: {\n}\n',
      'a: yes\nb: 012\nc: 1_000\nd: -0\ne: 1.\nf: .5e3\ng: +12\nh: 1e400\n', 'a: 0x1f', 'a: .inf', '"a": 1\n\'b\': 2\n', '{"a":1,"b":[true,null,-0.5e-3]}',
      'a: "\\u00e9\\n\\"\\\\\\/"\n', "a: 'it''s'\n", 'a: b: c', 'a: "x"#c', '{a:1}', '[a: 1]', 'a: - b', 'a:\n- x\n- y\nb: 2\n', 'x:\n  - a:\n    - b\n',
      '- a\n-\n  b\n', '- - a\n', '-  k: v\n   j: w\n', 'a:\n  b\n  c\n', 'a: [x\n  , y]', 'k: [a\n  b]', 'a: !!str 1', 'a: &x 1\nb: *x\n', '---\na: 1\n',
      'a: 1\n...\n', 'a: 1\r\nb: 2\r\n', 'a:\tb', 'a: 1\na: 2\n', '__proto__: {polluted: true}\n', '<<: {b: 1}\n', '1: a\n', 'true: a\n', '~: a\n',
      'a: [1, 2,]\n', 'a: {b: 1,}\n', 'a: [,]\n', 'a: [ [ [ ] ] ]\n', 'a: "unterminated\n', "a: 'x\n  y'\n", 'a: >\n  folded\n', 'a: |\n  literal\n',
      'a: b\n  c: d\n', '  a: 1\n', 'a: 1\n b: 2\n', 'a:\n  b: 1\n c: 2\n', 'a: [b] c\n', 'a: {b: c}: d\n', '? a\n: b\n', 'a: b #c\n#d\n  # e\n',
      '', '\n', '# only a comment\n', 'just a scalar\n', '[1, 2]\n', 'a: 2026-12-31T23:59:59Z\nb: {t: 2026-12-31T23:59:59Z}\n', 'a: {t: 12:30}\n',
      'a: [b:c, d: e]\n', 'a: {b:c: d}\n', 'a: [-1, - 1]\n', 'a: [:x]\n', 'a: {"b":c}\n', "a: {'b':c}\n", 'a: [a #b\n  ]\n', 'a: [a#b]\n',
    ];
    let accepted = 0;
    for (const text of cases) if (agrees(text)) accepted++;
    assert.ok(accepted >= 25, `fast path accepted only ${accepted} of ${cases.length} edge cases`);
  });

  it('gives the same line:col as the yaml path for a finding on a JSON policy', () => {
    const text = readFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml'), 'utf8');
    const json = JSON.stringify(parseDocument(text).toJS(), null, 2);
    const parsed = parsePolicy(json, 'finance.mandate.json');
    assert.ok(parsed.ok);
    const slow = buildSourceMap('finance.mandate.json', json, parseDocument(json).contents);
    assert.ok(parsed.parsed.source instanceof SourceMap);
    assert.equal(parsed.parsed.source.where('/grants/0/agent_role'), slow.where('/grants/0/agent_role'));
  });
});
