// The simulator's result types: the contract the CLI and the editor's "Simulate Agent" render.

import type { Effect, Json } from '../../policies';

/** A generated call in the form people and `mandate check` read: ISO time, JSON arguments. */
export interface ReportedCall {
  roles: string[];
  tool: string;
  args: Json;
  context: Record<string, string>;
  /** ISO date-time the call was decided at */
  at: string;
}

export type PropertyKind = 'invariant' | 'test' | 'builtin';

/** One property's outcome over the whole run. */
export interface PropertyResult {
  kind: PropertyKind;
  name: string;
  /** file:line:col of the invariant or test; absent for built-ins */
  where?: string;
  /** JSON pointer in the policy ('' for built-ins) */
  pointer: string;
  /**
   * `vacuous`: no generated call fell within the property (so it proved nothing); `invalid`: an invariant naming a
   * role the policy does not declare or a tool nothing matches (a typo: it could only hold)
   */
  status: 'passed' | 'broken' | 'vacuous' | 'invalid';
  /** for `invalid` and `vacuous`: why, in words */
  note?: string;
  /** calls within the property (for tests: 1) */
  checked: number;
  /** calls that broke it */
  violations: number;
  /** for a broken invariant or built-in: the grant and deny rules whose decisions broke it, in policy order */
  through?: RuleCalls[];
}

/** A grant or deny rule and how many calls it decided that broke a property. */
export interface RuleCalls {
  kind: 'grant' | 'deny';
  id: string;
  pointer: string;
  where: string;
  calls: number;
}

/** A broken property with its shrunk counterexample and how to replay and reproduce it. */
export interface Counterexample {
  kind: PropertyKind;
  name: string;
  where?: string;
  pointer: string;
  /** the smallest failing call fast-check's shrinking found */
  call: ReportedCall;
  effect: Effect;
  /** the decision's reasons, for people */
  reasons: string[];
  /** why the property broke, in words */
  why: string;
  /** replay data: `command` (`mandate simulate … --seed SEED --replay PATH`) regenerates `call` */
  replay: { seed: number; path: string; command: string } | undefined;
  /** the `mandate check …` command that reproduces the decision */
  command: string;
}

/** How often a grant or deny rule decided a call. */
export interface CoverageEntry {
  kind: 'grant' | 'deny';
  id: string;
  pointer: string;
  where: string;
  hits: number;
}

/** Decisions per role set and tool. */
export interface MatrixRow {
  roles: string;
  tool: string;
  allow: number;
  approval_required: number;
  deny: number;
}

/** Everything one simulation found. */
export interface SimulationReport {
  file: string;
  seed: number;
  /** calls requested */
  runs: number;
  /** calls generated and decided (less than `runs` when aborted) */
  calls: number;
  /** ISO time the simulation starts at; later instants come from grants' `not_before` / `expires` */
  at: string;
  aborted: boolean;
  /** true when no property broke, none is invalid, and no invariant is vacuous (unless `allowVacuous`) */
  ok: boolean;
  /** whether vacuous invariants were accepted (`--allow-vacuous`, or a replay of one call) */
  allowVacuous: boolean;
  properties: PropertyResult[];
  counterexamples: Counterexample[];
  coverage: CoverageEntry[];
  /** grants and deny rules that never decided a generated call */
  unexercised: CoverageEntry[];
  matrix: MatrixRow[];
  /** tools, roles and times the universe held */
  universe: { roles: string[][]; tools: string[]; times: string[] };
  notes: string[];
}

/**
 * Whether a property fails the run: broken, invalid, or a vacuous invariant the run does not accept. Built-in
 * properties are never failed for being vacuous: they hold for every policy, and some need a manifest to apply.
 */
export function failing(p: PropertyResult, r: Pick<SimulationReport, 'allowVacuous'>): boolean {
  return p.status === 'broken' || p.status === 'invalid' || (p.status === 'vacuous' && p.kind === 'invariant' && !r.allowVacuous);
}
