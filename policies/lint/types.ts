// The lint rule contract: a rule reads a schema-valid policy and reports findings at source ranges.

import type { Finding, Severity } from '../findings';
import type { SourceMap } from '../source';
import type { Policy, ToolManifest } from '../types';

export interface LintContext {
  policy: Policy;
  source: SourceMap;
  /** the governed servers' tools, when a manifest is known */
  tools?: ToolManifest;
  /** the clock, ms since epoch (expired grants, expiry horizons) */
  now: number;
}

export interface LintRule {
  /** stable id, e.g. `ref/undeclared-role` */
  id: string;
  severity: Severity;
  /** one line: why the rule exists (README lists it) */
  why: string;
  check(ctx: LintContext): Array<Omit<Finding, 'rule' | 'severity'> & { severity?: Severity }>;
}
