// The linear-time matcher policy patterns and tool schemas run on: what it refuses, what it costs on the
// patterns that make a backtracking engine take exponential time, and V8's meaning on awkward atoms.
// (test/property/linearRegex.test.ts compares it with V8 on generated patterns.)

import assert from 'node:assert/strict';
import { ATOM_FIRST_USE, ATOM_MISS_COST, compileLinear, MATCH_STEP_LIMIT, MAX_STATES, RegexBudgetExceeded, RegexRefused } from '../../../policies/linearRegex';

const agrees = (pattern: string, inputs: readonly string[]): void => {
  const re = compileLinear(pattern);
  const v8 = new RegExp(pattern, 'u');
  for (const s of inputs) assert.equal(re.test(s), v8.test(s), `${pattern} on ${JSON.stringify(s)}`);
};

describe('linear-time patterns', () => {
  it('answers the ReDoS classics in steps linear in the input, where V8 backtracks', () => {
    const cases: Array<[string, string, boolean]> = [
      ['^(.*a){20}$', `${'a'.repeat(40)}b`, false],
      ['^(.*a){20}$', 'a'.repeat(41), true],
      ['^(a+)+$', `${'a'.repeat(5000)}!`, false],
      ['^(\\w+\\s?)*$', `${'word '.repeat(2000)}!`, false],
      ['(a|a)*b', 'a'.repeat(10000), false],
      ['^(a|aa)+$', `${'a'.repeat(3000)}b`, false],
      ['\\d+\\d+\\d+x', '1'.repeat(3000), false],
    ];
    for (const [pattern, input, expected] of cases) {
      const re = compileLinear(pattern);
      assert.equal(re.test(input), expected, pattern);
      const bound = 3 * re.size * (input.length + 1);
      assert.ok(re.steps <= bound, `${pattern}: ${re.steps} steps on ${input.length} characters (bound ${bound})`);
    }
  });

  it('refuses lookaround and backreferences, naming them', () => {
    for (const [pattern, what] of [
      ['^(?=a)', 'lookahead'], ['(?!x)y', 'lookahead'], ['(?<=a)b', 'lookbehind'], ['(?<!a)b', 'lookbehind'],
      ['(a)\\1', 'backreference'], ['(?<n>a)\\k<n>', 'named backreference'],
    ]) {
      assert.throws(() => compileLinear(pattern!), (e: unknown) => e instanceof RegexRefused && e.message.includes(what!), pattern);
    }
  });

  it('rejects invalid patterns with V8\'s SyntaxError, and automata over the size bound as refused', () => {
    assert.throws(() => compileLinear('^(abc$'), SyntaxError);
    assert.throws(() => compileLinear('a{2,1}'), SyntaxError);
    assert.throws(() => compileLinear(`(a{100}){${MAX_STATES}}`), RegexRefused);
    assert.throws(() => compileLinear(`a{${MAX_STATES + 1}}`), RegexRefused);
    assert.equal(compileLinear('a{1000}').test('a'.repeat(1000)), true);
  });

  it('throws RegexBudgetExceeded rather than run past the step limit', () => {
    const re = compileLinear('[a-d]{0,3000}z');
    assert.ok(re.size * 3 * 20000 > MATCH_STEP_LIMIT);
    assert.throws(() => re.test('a'.repeat(20000)), RegexBudgetExceeded);
    assert.equal(re.test('abcz'), true, 'a budget exceeded once does not spoil the next test');
  });

  it('charges what V8 may have to decide (so the budget bounds time), the same whatever the caches hold', () => {
    const re = compileLinear('^\\p{L}*$');
    let cjk = '';
    for (let i = 0; i < 3000; i++) cjk += String.fromCodePoint(0x4e00 + i);
    assert.equal(re.test(cjk), true);
    const cold = re.steps;
    assert.ok(cold >= 3000 * ATOM_MISS_COST + ATOM_FIRST_USE, `${cold} steps`);
    assert.equal(re.test(cjk), true);
    assert.equal(re.steps, cold, 'warm caches, same charge: the same call gets the same decision at the budget\'s edge');
    assert.equal(re.test(cjk + cjk), true);
    assert.ok(re.steps < 2 * cold, 'a code point asked twice in one test is charged once');
    const again = compileLinear('^\\p{L}*$');
    again.test(cjk);
    assert.equal(again.steps, cold, 'a fresh program is charged the same');
  });

  it('keeps V8\'s meaning of escapes, classes, code points and assertions', () => {
    const inputs = ['', 'a', 'A', '_', '1', ' ', '\u00a0', '\u2028', '\n', '\r', 'é', '😀', '\uD83D', '\uDE00', 'a😀b', 'ab', 'a b', '-', 'x\u0000'];
    for (const p of ['\\s', '\\S', '\\w', '\\W', '\\d', '.', '^.$', '[^]', '[\\s\\d]', '\\p{L}', '\\P{L}', '^\\p{Lu}+$',
      '\\u{1F600}', '\\uD83D\\uDE00', '^\\uD83D$', '\\x61', '\\cJ', '\\0', '\\bb', 'a\\B', '\\B', '\\b', '^$', '$', '^', '',
      '(?:)', 'a|', '(?<name>a)b', '[\\]-]', '[-a]', '^[a-z0-9_-]{1,3}$', 'a{0}', 'a{2}?b', '(a*)*b', '(^a|b$)', '^😀+$']) {
      agrees(p, inputs);
    }
  });
});
