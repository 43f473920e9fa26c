// The backtracking analyser: known catastrophic patterns are caught, their safe near-misses are not.

import assert from 'node:assert/strict';
import { anchor, isAnchored, regexHazards } from '../../../../policies/lint';

describe('regexHazards', () => {
  const bad = ['^(a+)+$', '(a*)*b', '^(\\w+\\s?)*$', '^([a-z0-9]+[-.]?)+$', '((ab)+)+', '(x+x+)+y', '(a|a)*', '^(\\d|[0-9a-f])+$',
    '^(a{1,30})+$', '^(?<word>\\w+\\s?)+$', '(?:[\\s\\S]+,?)*'];
  const safe = ['^(\\w+\\s)*$', '(ab+)+', '(a|b)*', '^(api|worker|billing)-[a-z0-9]{1,12}$', '^v\\d+\\.\\d+\\.\\d+$',
    '(?:[^"\\\\]|\\\\.)*', '^(\\d|[a-f])+$', '^[a-z]+(?:-[a-z]+)*$', '^(\\d{1,3}\\.){3}\\d{1,3}$', '[(]+', '^\\p{L}+$'];
  for (const p of bad) it(`flags \`${p}\` as exponential`, () => assert.ok(regexHazards(p).some((h) => h.kind === 'exponential')));
  for (const p of safe) it(`accepts \`${p}\``, () => assert.deepEqual(regexHazards(p), []));

  const slow = ['^\\d+\\d+$', '^.*.*=.*$', '^a*b?a+$', '^\\s*\\w*\\s*$'];
  for (const p of slow) {
    it(`flags \`${p}\` as polynomial only`, () => assert.deepEqual(regexHazards(p).map((h) => h.kind), ['polynomial']));
  }

  it('names the part of the pattern at fault', () => {
    assert.equal(regexHazards('^id-(a+)+$')[0]?.part, '(a+)+');
  });

  it('reports nothing for a source it cannot parse (the invalid-pattern rule owns those)', () => {
    assert.deepEqual(regexHazards('^(abc$'), []);
  });
});

describe('anchoring', () => {
  it('knows anchored from unanchored sources, alternatives included', () => {
    assert.equal(isAnchored('^acme$'), true);
    assert.equal(isAnchored('acme'), false);
    assert.equal(isAnchored('^acme'), false);
    assert.equal(isAnchored('^a|b$'), false);
    assert.equal(isAnchored('^a$|^b$'), true);
    assert.equal(isAnchored('^acme\\$'), false);
    assert.equal(isAnchored('^(a|b)$'), true);
  });

  it('anchoring fixes what it claims: `acme` stops matching `evil-acme`', () => {
    const fixed = new RegExp(anchor('acme'), 'u');
    assert.equal(fixed.test('acme'), true);
    assert.equal(fixed.test('evil-acme'), false);
    const alt = new RegExp(anchor('^eu-|^us-'), 'u');
    assert.equal(alt.test('eu-'), true);
    assert.equal(alt.test('eu-west'), false);
    assert.equal(isAnchored(anchor('^acme')), true);
  });
});
