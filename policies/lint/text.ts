// Rules on the text itself, whatever it means.

import { childPointer } from '../source';
import type { LintRule, RuleFinding } from './types';

const REPLACEMENT = '\uFFFD';

/**
 * A U+FFFD in a key or value: the mark a decoder leaves where it lost a character. A policy file that is not UTF-8
 * is refused (decodePolicy), but an editor that opened it as UTF-8 and saved it wrote the mark for good — and a
 * value holding it matches nothing the author meant (`in: [caf�]` blocks no café).
 */
export const replacementCharacter: LintRule = {
  id: 'text/replacement-character',
  severity: 'warning',
  why: 'a U+FFFD (�) stands where a character was lost when the file was read in another encoding: a value holding it matches nothing that was meant — retype it',
  example: 'deny: [{ tool: pay_vendor, args: { vendor: { in: ["caf\uFFFD-corp"] } }, reason: Sanctioned. }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    const visit = (v: unknown, pointer: string): void => {
      if (typeof v === 'string') {
        if (v.includes(REPLACEMENT)) out.push({ message: `\`${v.slice(0, 60)}\` holds U+FFFD (�), a character lost in decoding: it matches nothing that was meant — retype it`, pointer, range: ctx.source.range(pointer) });
        return;
      }
      if (v === null || typeof v !== 'object') return;
      for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
        const at = childPointer(pointer, k);
        if (typeof k === 'string' && k.includes(REPLACEMENT)) out.push({ message: `the key \`${k.slice(0, 60)}\` holds U+FFFD (�), a character lost in decoding — retype it`, pointer: at, range: ctx.source.keyRange(at) });
        visit(child, at);
      }
    };
    visit(ctx.policy, '');
    return out;
  },
};
