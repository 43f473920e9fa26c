// The linter: syntax, schema and rule findings for one policy file, in one list with source ranges.

import { replacementCharacter } from './text';
import type { Finding } from '../findings';
import { sortFindings } from '../findings';
import { parsePolicy, type ParseResult } from '../parse';
import { childPointer } from '../source';
import type { ToolManifest } from '../types';
import { bypassedApproval, destructiveApproval, financialApproval } from './approvals';
import { auditDisabled, auditIncomplete, auditMissing, unredactedSecret, failOpen } from './audit';
import { caseSensitiveBlock, catastrophicPattern, contradictory, emptyIn, nonStringContext, prefixOnPath, relativeBlockPath, slowPattern, unanchoredPattern } from './constraints';
import { inlineCredential, prodWithoutEnvironment, sharedCredential } from './environments';
import { typeMismatch, unconstrainedVariant, unknownArgument } from './inputSchema';
import { absentKeyEscapesDeny, dottedArgumentKey } from './absentKeys';
import { readOnlyWrites, unscopedSibling } from './leastPrivilege';
import { genericRoleWrites, wildcardAll } from './overBroad';
import { deniedGrant, duplicateGrant, subsumedGrant, unusedRole, unusedScope } from './redundancy';
import { invalidPattern, minAboveMax, undeclaredRole, undefinedScope } from './references';
import { emergencyWithoutExpiry, emptyWindow, expired, expiryBeyondHorizon, unreadableTime } from './timeBounds';
import { didYouMean, globMatchesNothing, unknownTool } from './toolNames';
import type { LintContext, LintRule, RuleFinding } from './types';

export type { LintContext, LintRule, RuleFinding } from './types';
export { regexHazards } from './regex';
export { isAnchored, anchor } from './anchors';
export { toolNature } from './tools';
export type { ToolNature } from './tools';

/** `lint_ignore` keys that name no rule are typos that silence nothing. */
const unknownIgnore: LintRule = {
  id: 'lint/unknown-rule',
  severity: 'warning',
  why: 'a `lint_ignore` entry naming no rule silences nothing; the finding it meant to silence is still reported',
  example: 'lint_ignore: { approval/financal: refunds are capped at 5 EUR }',
  check(ctx) {
    const ids = new Set(RULES.map((r) => r.id));
    const out: RuleFinding[] = [];
    const visit = (ignore: Record<string, string> | undefined, base: string): void => {
      for (const id of Object.keys(ignore ?? {})) {
        if (ids.has(id)) continue;
        const pointer = childPointer(base, id);
        out.push({ message: `\`${id}\` is not a lint rule${didYouMean(id, ids)}: this entry silences nothing`, pointer, range: ctx.source.keyRange(pointer) });
      }
    };
    const p = ctx.policy;
    visit(p.lint?.ignore, '/lint/ignore');
    for (const [key, list] of [['roles', p.roles], ['scopes', p.scopes], ['servers', p.servers]] as const) {
      for (const [name, def] of Object.entries(list ?? {})) visit((def as { lint_ignore?: Record<string, string> }).lint_ignore, `${childPointer(`/${key}`, name)}/lint_ignore`);
    }
    (p.grants ?? []).forEach((g, i) => visit(g.lint_ignore, `/grants/${i}/lint_ignore`));
    (p.deny ?? []).forEach((d, i) => visit(d.lint_ignore, `/deny/${i}/lint_ignore`));
    visit(p.audit?.lint_ignore, '/audit/lint_ignore');
    return out;
  },
};

/** Every lint rule, in the order they run. Add a rule here (see ARCHITECTURE.md). */
export const RULES: readonly LintRule[] = [
  undeclaredRole, undefinedScope, minAboveMax, invalidPattern,
  wildcardAll, genericRoleWrites, readOnlyWrites, unscopedSibling, financialApproval, destructiveApproval, bypassedApproval,
  emergencyWithoutExpiry, expiryBeyondHorizon, unreadableTime, expired, emptyWindow,
  sharedCredential, inlineCredential, prodWithoutEnvironment,
  auditDisabled, auditMissing, auditIncomplete, unredactedSecret, failOpen,
  deniedGrant, duplicateGrant, subsumedGrant, unusedScope, unusedRole,
  emptyIn, contradictory, nonStringContext, caseSensitiveBlock, relativeBlockPath, prefixOnPath, unanchoredPattern, catastrophicPattern, slowPattern, unknownArgument, typeMismatch, unconstrainedVariant,
  dottedArgumentKey, absentKeyEscapesDeny,
  unknownTool, globMatchesNothing, unknownIgnore,
  replacementCharacter,
];

/** The rule id of a server manifest that could not be read (reported by `lintText`, not a `LintRule`). */
export const MANIFEST_RULE = 'ref/tools-manifest';

export interface LintOptions {
  /** a `tools/list` result covering the governed servers (`--tools`) */
  tools?: ToolManifest;
  /** the clock, ms since epoch */
  now?: number;
  /**
   * Reads a server's `tools_manifest` (the path as written in the policy); throws an Error whose message
   * says why it cannot. Injected by the caller: policies/ does no I/O.
   */
  readManifest?: (path: string) => ToolManifest;
}

/** Lint policy text: syntax/schema errors first; rules run only on a schema-valid policy. */
export function lintText(text: string, file: string, options: LintOptions = {}): Finding[] {
  return lintParsed(parsePolicy(text, file), options);
}

/** `lintText` of a text already parsed (the editor parses each version of a document once, for every feature). */
export function lintParsed(parsed: ParseResult, options: LintOptions = {}): Finding[] {
  if (!parsed.ok) return sortFindings(parsed.findings);
  const { policy, source } = parsed.parsed;
  const findings: Finding[] = [];
  const serverTools: Record<string, ToolManifest> = {};
  for (const [name, s] of Object.entries(policy.servers ?? {})) {
    if (s.tools_manifest === undefined || !options.readManifest) continue;
    const pointer = `${childPointer('/servers', name)}/tools_manifest`;
    try {
      serverTools[name] = options.readManifest(s.tools_manifest);
    } catch (err) {
      findings.push({ rule: MANIFEST_RULE, severity: 'error', message: `cannot use tools manifest \`${s.tools_manifest}\` of server \`${name}\`: ${(err as Error).message}`, pointer, range: source.range(pointer) });
    }
  }
  const ctx: LintContext = {
    policy, source, now: options.now ?? Date.now(),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(Object.keys(serverTools).length > 0 ? { serverTools } : {}),
  };
  return sortFindings([...findings, ...runRules(ctx, RULES)]);
}

/** Run rules, honouring `lint_ignore` (rule id → stated reason) on the finding's node or an ancestor, and `lint.ignore`. */
export function runRules(ctx: LintContext, rules: readonly LintRule[]): Finding[] {
  const out: Finding[] = [];
  const global = ctx.policy.lint?.ignore ?? {};
  for (const rule of rules) {
    if (Object.prototype.hasOwnProperty.call(global, rule.id)) continue;
    let found: RuleFinding[];
    try {
      found = rule.check(ctx);
    } catch (err) {
      // INVARIANT: a failing rule never hides the others' findings, and never passes silently: it is an error.
      out.push({ rule: rule.id, severity: 'error', message: `lint rule failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, pointer: '', range: ctx.source.range('') });
      continue;
    }
    for (const f of found) {
      if (suppressed(ctx, f.pointer, rule.id)) continue;
      out.push({ ...f, rule: rule.id, severity: f.severity ?? rule.severity });
    }
  }
  return out;
}

function suppressed(ctx: LintContext, pointer: string, rule: string): boolean {
  const parts = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = ctx.policy;
  for (let i = 0; i <= parts.length; i++) {
    const ignore = node && typeof node === 'object' ? (node as { lint_ignore?: Record<string, string> }).lint_ignore : undefined;
    if (ignore && Object.prototype.hasOwnProperty.call(ignore, rule)) return true;
    if (i === parts.length || !node || typeof node !== 'object') break;
    node = (node as Record<string, unknown>)[parts[i]!];
  }
  return false;
}
