// The linter: syntax, schema and rule findings for one policy file, in one list with source ranges.

import type { Finding } from '../findings';
import { sortFindings } from '../findings';
import { parsePolicy } from '../parse';
import type { ToolManifest } from '../types';
import { invalidPattern, minAboveMax, undeclaredRole, undefinedScope } from './references';
import type { LintContext, LintRule } from './types';

export type { LintContext, LintRule } from './types';

/** Every lint rule, in the order they run. Add a rule here (see ARCHITECTURE.md). */
export const RULES: readonly LintRule[] = [undeclaredRole, undefinedScope, minAboveMax, invalidPattern];

export interface LintOptions {
  tools?: ToolManifest;
  now?: number;
}

/** Lint policy text: syntax/schema errors first; rules run only on a schema-valid policy. */
export function lintText(text: string, file: string, options: LintOptions = {}): Finding[] {
  const parsed = parsePolicy(text, file);
  if (!parsed.ok) return sortFindings(parsed.findings);
  const { policy, source } = parsed.parsed;
  const ctx: LintContext = { policy, source, now: options.now ?? Date.now(), ...(options.tools ? { tools: options.tools } : {}) };
  return sortFindings(runRules(ctx, RULES));
}

/** Run rules, honouring `lint_ignore` (rule id → stated reason) on the finding's node or an ancestor. */
export function runRules(ctx: LintContext, rules: readonly LintRule[]): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    for (const f of rule.check(ctx)) {
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
