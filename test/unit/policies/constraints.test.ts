// Constraint operators: each edge rule of DESIGN.md, table-driven.

import assert from 'node:assert/strict';
import { ABSENT, compileConstraint, EngineError, MAX_PATTERN_INPUT, type Constraint } from '../../../policies';

const ok = (c: Constraint, v: unknown): boolean => compileConstraint(c)(v) === undefined;

describe('constraints', () => {
  it('an absent value satisfies no constraint, not included', () => {
    for (const c of [{ equals: 1 }, { not: { equals: 1 } }, { not_in: ['x'] }, { type: 'null' }, { max_length: 5 }] as Constraint[]) {
      assert.equal(ok(c, ABSENT), false, JSON.stringify(c));
    }
  });

  it('min and max apply to finite JSON numbers only', () => {
    assert.equal(ok({ max: 1000 }, 999), true);
    assert.equal(ok({ max: 1000 }, 1000), true);
    assert.equal(ok({ max: 1000 }, 1000.0001), false);
    assert.equal(ok({ max: 1000 }, '999'), false);
    assert.equal(ok({ min: 0 }, JSON.parse('1e400')), false);
    assert.equal(ok({ max: 1e9 }, -Infinity), false);
    assert.equal(ok({ min: 0.01 }, 0), false);
    assert.equal(ok({ min: 0 }, null), false);
  });

  it('equals and in compare JSON values without coercion', () => {
    assert.equal(ok({ equals: 'EUR' }, 'EUR'), true);
    assert.equal(ok({ equals: 'EUR' }, 'eur'), false);
    assert.equal(ok({ equals: 1 }, '1'), false);
    assert.equal(ok({ equals: { a: [1, 2] } }, { a: [1, 2] }), true);
    assert.equal(ok({ equals: { a: [1, 2] } }, { a: [2, 1] }), false);
    assert.equal(ok({ in: ['a', 1, null] }, null), true);
    assert.equal(ok({ in: ['a', 1] }, '1'), false);
    assert.equal(ok({ in: [] }, 'a'), false);
    assert.equal(ok({ not_in: ['a'] }, 'b'), true);
    assert.equal(ok({ not_in: ['a'] }, 'a'), false);
  });

  it('pattern is a JavaScript regular expression searched in strings only', () => {
    assert.equal(ok({ pattern: '^acme$' }, 'acme'), true);
    assert.equal(ok({ pattern: 'acme' }, 'evil-acme'), true);
    assert.equal(ok({ pattern: '^acme$' }, 'evil-acme'), false);
    assert.equal(ok({ pattern: '.*' }, 5), false);
  });

  it('pattern input beyond the bound is an engine error (so the call is denied)', () => {
    assert.throws(() => compileConstraint({ pattern: 'a' })('a'.repeat(MAX_PATTERN_INPUT + 1)), EngineError);
  });

  it('an invalid pattern cannot be decided (it once matched nothing, which made `not` of it match everything)', () => {
    assert.throws(() => ok({ pattern: '(' }, '('), EngineError);
    assert.throws(() => ok({ not: { pattern: '(' } }, 'x'), EngineError);
    assert.throws(() => ok({ equals: 'y', pattern: '(' }, 'x'), EngineError, 'whatever else fails first');
  });

  it('prefix is a plain string prefix', () => {
    assert.equal(ok({ prefix: 'billing-' }, 'billing-eu'), true);
    assert.equal(ok({ prefix: 'billing-' }, 'Billing-eu'), false);
    assert.equal(ok({ prefix: 'x' }, ['x']), false);
  });

  it('max_length counts code points of strings and items of lists', () => {
    assert.equal(ok({ max_length: 2 }, '😀😀'), true);
    assert.equal(ok({ max_length: 2 }, 'abc'), false);
    assert.equal(ok({ max_length: 2 }, [1, 2]), true);
    assert.equal(ok({ max_length: 2 }, 12), false);
  });

  it('type distinguishes integers, finite numbers and the JSON types', () => {
    assert.equal(ok({ type: 'integer' }, 2), true);
    assert.equal(ok({ type: 'integer' }, 2.5), false);
    assert.equal(ok({ type: 'number' }, Infinity), false);
    assert.equal(ok({ type: 'object' }, []), false);
    assert.equal(ok({ type: 'object' }, null), false);
    assert.equal(ok({ type: 'array' }, []), true);
    assert.equal(ok({ type: 'null' }, null), true);
    assert.equal(ok({ type: 'string' }, '1'), true);
  });

  it('not negates a present value', () => {
    assert.equal(ok({ not: { in: ['root'] } }, 'alice'), true);
    assert.equal(ok({ not: { in: ['root'] } }, 'root'), false);
  });

  it('every operator of one constraint must hold', () => {
    assert.equal(ok({ min: 1, max: 3, type: 'integer' }, 2), true);
    assert.equal(ok({ min: 1, max: 3, type: 'integer' }, 2.5), false);
  });

  it('within contains paths after normalisation', () => {
    const within = { within: ['docs/'] };
    const cases: Array<[string, boolean]> = [
      ['docs/a.md', true], ['docs', true], ['./docs/./a.md', true], ['docs//a.md', true], ['docs/x/../a.md', true],
      ['docs/../secret', false], ['docs-private/a', false], ['/docs/a.md', false],
      ['docs/../docs/a', true], ['docs/a/../../x', false],
    ];
    for (const [path, want] of cases) assert.equal(ok(within, path), want, path);
    // refused paths cannot be decided (EngineError: a grant fails, a deny rule denies — see withinRefused.test.ts),
    // nor can a relative path that climbs above its start (it once merely failed, so `not` of it held)
    for (const path of ['docs/..%2fsecret', 'docs/%2e%2e/secret', 'docs%2Fa', 'docs\\..\\secret', 'docs/a\u0000.md', '', '../docs/a.md', 'docs/a/../../../x']) {
      assert.throws(() => ok(within, path), EngineError, path);
    }
    assert.equal(ok({ within: ['/srv/data'] }, '/srv/data/../../srv/data/x'), true);
    assert.equal(ok({ within: ['/srv/data'] }, '/srv/database'), false);
    assert.equal(ok({ within: ['/srv/data'] }, '/../srv/data/x'), true);
    assert.throws(() => ok(within, 42), EngineError);
  });
});
