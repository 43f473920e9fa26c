// The lint rule contract: a rule reads a schema-valid policy and reports findings at source ranges.

import type { Finding, Severity } from '../findings';
import type { SourceMap } from '../source';
import type { Policy, ToolManifest } from '../types';

export interface LintContext {
  policy: Policy;
  source: SourceMap;
  /** the governed servers' tools, when a manifest is known (`--tools`) */
  tools?: ToolManifest;
  /** each server's own manifest (its `tools_manifest`), loaded by the caller: policies/ does no I/O */
  serverTools?: Readonly<Record<string, ToolManifest>>;
  /** the clock, ms since epoch (expired grants, expiry horizons) */
  now: number;
}

/** What a rule returns: a finding without its rule id; severity defaults to the rule's. */
export type RuleFinding = Omit<Finding, 'rule' | 'severity'> & { severity?: Severity };

export interface LintRule {
  /** stable id, e.g. `ref/undeclared-role` */
  id: string;
  severity: Severity;
  /** one line: why the rule exists (README lists it) */
  why: string;
  /** a short policy snippet that triggers the rule (README lists it) */
  example?: string;
  check(ctx: LintContext): RuleFinding[];
}
