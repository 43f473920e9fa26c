// Differential: the linear-time matcher answers exactly what V8's backtracking RegExp answers, on generated
// patterns (atoms with V8-specific meanings — \s, \w, \b, \p{…}, classes, astral code points, lone
// surrogates — under sequence, alternation, groups and every quantifier form) and generated inputs over an
// alphabet that exercises them.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileLinear } from '../../policies/linearRegex';
import { fcParams } from '../support/seed';

const ATOMS = ['a', 'b', '-', '.', '\\d', '\\w', '\\W', '\\s', '\\S', '[ab]', '[^a]', '[a-c]', '[\\s\\d]', '[^]', '\\p{L}',
  '\\P{Ll}', '😀', '\\u{1F600}', '\\uD83D', '\\x61', '\\n', '\\.', 'é', '[😀b]'];
const ASSERTIONS = ['^', '$', '\\b', '\\B'];
const QUANTIFIERS = ['*', '+', '?', '{0}', '{1}', '{2}', '{1,3}', '{2,}', '{0,2}', '*?', '+?', '??', '{1,2}?'];

const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; term: string; group: string }>((tie) => ({
  re: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    tie('term'),
    fc.array(tie('term'), { minLength: 2, maxLength: 4 }).map((ts) => ts.join('')),
    fc.array(fc.array(tie('term'), { maxLength: 3 }).map((ts) => ts.join('')), { minLength: 2, maxLength: 3 }).map((as) => as.join('|'))),
  term: fc.oneof({ depthSize: 'small' },
    { arbitrary: fc.constantFrom(...ATOMS), weight: 5 },
    { arbitrary: fc.constantFrom(...ASSERTIONS), weight: 1 },
    { arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...ATOMS), tie('group')), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => a + q), weight: 3 },
    { arbitrary: tie('group'), weight: 2 }),
  group: fc.tuple(fc.constantFrom('(', '(?:', '(?<g>'), tie('re')).map(([open, inner]) => `${open}${inner})`),
})).re.map((p) => {
  let n = 0;
  return p.replace(/\(\?<g>/g, () => `(?<g${n++}>`); // named groups must be unique
});

const input = fc.array(fc.constantFrom('a', 'b', 'c', '-', '1', '_', ' ', '\n', '\u00a0', 'é', 'Z', '😀', '\uD83D', '\uDE00', '.'), { maxLength: 12 })
  .map((cs) => cs.join(''));

describe('property: the linear-time matcher agrees with V8', () => {
  it('test() answers as RegExp(pattern, "u").test() on generated patterns and inputs', () => {
    fc.assert(fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, inputs) => {
      let v8: RegExp;
      try {
        v8 = new RegExp(p, 'u');
      } catch {
        return; // a generated combination V8 rejects (e.g. a quantified \b) — compileLinear must reject it too
      }
      const re = compileLinear(p);
      for (const s of inputs) assert.equal(re.test(s), v8.test(s), `/${p}/u on ${JSON.stringify(s)}`);
    }), fcParams(3000));
  });

  it('rejects exactly the patterns V8 rejects (among those without lookaround and backreferences)', () => {
    fc.assert(fc.property(pattern, (p) => {
      let valid = true;
      try { new RegExp(p, 'u'); } catch { valid = false; }
      let compiled = true;
      try { compileLinear(p); } catch { compiled = false; }
      assert.equal(compiled, valid, p);
    }), fcParams(2000));
  });
});
