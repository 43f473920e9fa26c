// Counting during a simulation: per-property checks and violations, rule coverage, the decision matrix.

import type { CompiledPolicy, Decision } from '../../policies';
import type { SimCall } from './generate';
import type { Property } from './properties';
import type { CoverageEntry, MatrixRow, RuleCalls } from './report';

export interface PropertyTally {
  checked: number;
  violations: number;
  /** the index of the first call that broke the property */
  first: number | undefined;
  /** calls that broke it, by the pointer of each grant or deny rule that decided them */
  through: Map<string, number>;
}

/** Mutable counters for one simulation run. */
export class Tally {
  calls = 0;
  readonly props: PropertyTally[];
  private readonly hits = new Map<string, number>();
  private readonly cells = new Map<string, MatrixRow>();
  /** rows by role-set array identity, then tool: role sets are shared arrays, so this skips string keys */
  private readonly fast = new Map<readonly string[], Map<string, MatrixRow>>();

  constructor(private readonly compiled: CompiledPolicy, private readonly properties: readonly Property[]) {
    this.props = properties.map(() => ({ checked: 0, violations: 0, first: undefined, through: new Map<string, number>() }));
  }

  /** Record one decided call: matrix, coverage, and every property's verdict. */
  visit(call: SimCall, d: Decision, index: number): void {
    this.calls++;
    this.row(call)[d.effect]++;
    for (const r of d.rules) {
      if (r.kind === 'grant' || r.kind === 'deny') this.hits.set(r.pointer, (this.hits.get(r.pointer) ?? 0) + 1);
    }
    for (let i = 0; i < this.properties.length; i++) {
      const v = this.properties[i]!.check(call, d);
      if (v === undefined) continue;
      const t = this.props[i]!;
      t.checked++;
      if (v !== true) {
        t.violations++;
        t.first ??= index;
        for (const r of d.rules) {
          if (r.kind === 'grant' || r.kind === 'deny') t.through.set(r.pointer, (t.through.get(r.pointer) ?? 0) + 1);
        }
      }
    }
  }

  private row(call: SimCall): MatrixRow {
    let byTool = this.fast.get(call.roles);
    if (!byTool) this.fast.set(call.roles, (byTool = new Map()));
    let row = byTool.get(call.tool);
    if (row) return row;
    const key = `${call.roles.join('+')}\u0000${call.tool}`;
    row = this.cells.get(key);
    if (!row) this.cells.set(key, (row = { roles: call.roles.join('+'), tool: call.tool, allow: 0, approval_required: 0, deny: 0 }));
    byTool.set(call.tool, row);
    return row;
  }

  /** Properties broken so far. */
  brokenCount(): number {
    return this.props.filter((t) => t.violations > 0).length;
  }

  /**
   * The grant and deny rules whose decisions broke property `i`, in policy order (grants, then deny rules), with
   * how many calls each: a flaw repeated in many rules (sixty teams' `*_file` grants) shows whole, not one at a time.
   */
  through(i: number): RuleCalls[] {
    const t = this.props[i]!;
    const rules = [...this.compiled.grants.map((g) => ({ kind: 'grant' as const, ref: g.ref, where: g.where })),
      ...this.compiled.denies.map((d) => ({ kind: 'deny' as const, ref: d.ref, where: d.where }))];
    return rules.filter((r) => t.through.has(r.ref.pointer)).map((r) => ({ kind: r.kind, id: r.ref.id, pointer: r.ref.pointer, where: r.where, calls: t.through.get(r.ref.pointer)! }));
  }

  /** How often each grant and deny rule decided a call; and those that never did. */
  coverage(): { coverage: CoverageEntry[]; unexercised: CoverageEntry[] } {
    const entry = (kind: 'grant' | 'deny', id: string, pointer: string, where: string): CoverageEntry => ({ kind, id, pointer, where, hits: this.hits.get(pointer) ?? 0 });
    const coverage = [
      ...this.compiled.grants.map((g) => entry('grant', g.ref.id, g.ref.pointer, g.where)),
      ...this.compiled.denies.map((d) => entry('deny', d.ref.id, d.ref.pointer, d.where)),
    ];
    return { coverage, unexercised: coverage.filter((c) => c.hits === 0) };
  }

  /** The decision matrix, sorted by roles then tool. */
  matrix(): MatrixRow[] {
    return [...this.cells.values()].sort((a, b) => a.roles.localeCompare(b.roles) || a.tool.localeCompare(b.tool));
  }
}
