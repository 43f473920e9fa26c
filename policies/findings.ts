// Findings: what lint, schema validation and parsing report, with a stable rule id and a source range.

import type { Json, SourceRange } from './types';

export type Severity = 'error' | 'warning' | 'info';

/**
 * Machine-readable fix data, applied by the editor's quick fixes: a JSON-Patch-like edit
 * at a JSON pointer of the policy document.
 */
export interface FixData {
  title: string;
  op: 'add' | 'replace' | 'remove' | 'rename_key';
  pointer: string;
  value?: Json;
  /** for `rename_key`: the new key */
  key?: string;
}

export interface Finding {
  /** stable id, e.g. `syntax`, `schema/unknown-field`, `ref/undeclared-role`, `least-privilege/read-only-writes` */
  rule: string;
  severity: Severity;
  /** one line, lowercase, no final period, user values in backticks */
  message: string;
  pointer: string;
  range: SourceRange;
  fix?: FixData[];
}

/** Render a finding as `file:line:col: severity rule: message`. */
export function formatFinding(f: Finding): string {
  return `${f.range.file}:${f.range.start.line}:${f.range.start.col}: ${f.severity} ${f.rule}: ${f.message}`;
}

/** Findings ordered by file, position, then rule id (stable output for every format). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    a.range.file.localeCompare(b.range.file)
    || a.range.start.line - b.range.start.line
    || a.range.start.col - b.range.start.col
    || a.rule.localeCompare(b.rule));
}
