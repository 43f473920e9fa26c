// simulate(): throw generated calls at a policy, check every property on each, shrink what breaks.
// Runs in chunks of fast-check runs so a caller can watch progress and abort between them.

import fc from 'fast-check';
import { compile, decide, type CompiledPolicy, type Decision, type ParsedPolicy, type ToolInfo, type ToolManifest } from '../../policies';
import { runPolicyTest, schemaOnlyDenial, testContext, testRoles, vacuousTest } from '../policyTests';
import { Tally } from './tally';
import { towardsBoundary } from './boundary';
import { CallSpace, type Genome, type SimCall } from './generate';
import { buildTargets } from './targets';
import { builtinProperties, DESTRUCTIVE_BUILTIN, invariantProblems, invariantProperties, type Property } from './properties';
import { checkCommand, replayCommand, reportedCall, type CommandContext } from './commands';
import { failing, type Counterexample, type PropertyResult, type SimulationReport } from './report';
import { buildUniverse, type Universe } from './universe';

/** Calls generated when the caller names no count. */
export const DEFAULT_RUNS = 10_000;
/** Calls between progress reports (and abort checks). */
export const CHUNK = 2_500;

export interface SimulateProgress {
  done: number;
  total: number;
  /** properties broken so far */
  broken: number;
}

export interface SimulateOptions {
  /** the governed tools (`tools/list` results); without them, tools come from the policy alone */
  tools?: ToolManifest;
  /** calls to generate (default 10,000) */
  runs?: number;
  /** fast-check seed; the same seed, policy, tools and `at` give the same calls */
  seed?: number;
  /** the instant the simulation starts at, ms since epoch (default: now) */
  at?: number;
  /** the last instant simulated (default: no end): grant boundaries after it are not tried */
  until?: number;
  onProgress?: (p: SimulateProgress) => void;
  signal?: AbortSignal;
  /** replay one call: the `path` a counterexample printed, with its seed */
  replay?: { path: string };
  /** how the reproducing commands name the policy and the manifest (default: the parsed file) */
  command?: Partial<CommandContext>;
  /** accept invariants no generated call fell within (default: they fail the run, as they proved nothing) */
  allowVacuous?: boolean;
}

interface Setup {
  compiled: CompiledPolicy;
  tools: ReadonlyMap<string, ToolInfo>;
  universe: Universe;
  space: CallSpace;
  arb: fc.Arbitrary<Genome>;
  properties: Property[];
  cmd: CommandContext;
  at: number;
  until: number | undefined;
}

function setup(parsed: ParsedPolicy, opts: SimulateOptions, seed: number, at: number): Setup {
  const tools = new Map<string, ToolInfo>((opts.tools?.tools ?? []).map((t) => [t.name, t]));
  const compiled = compile(parsed, opts.tools ? { tools: opts.tools } : {});
  const universe = buildUniverse(parsed.policy, opts.tools, at, seed, opts.until);
  const properties = [...invariantProperties(compiled, tools), ...builtinProperties(compiled, tools)];
  const cmd: CommandContext = { policy: opts.command?.policy ?? parsed.file, ...(opts.command?.tools !== undefined ? { tools: opts.command.tools } : {}), ...(opts.command?.live === true ? { live: true } : {}) };
  const space = new CallSpace(universe, buildTargets(universe, compiled));
  return { compiled, tools, universe, space, arb: space.arbitrary(), properties, cmd, at, until: opts.until };
}

function decideSim(compiled: CompiledPolicy, c: SimCall): Decision {
  return decide(compiled, { principal: 'simulate', roles: c.roles, tool: c.tool, args: c.args, context: c.context, now: c.now });
}

/** Fuzz a parsed policy against its invariants, tests and the built-in properties. */
export async function simulate(parsed: ParsedPolicy, opts: SimulateOptions = {}): Promise<SimulationReport> {
  const runs = Math.max(0, Math.floor(opts.runs ?? DEFAULT_RUNS));
  const seed = (opts.seed ?? Math.floor(Math.random() * 2 ** 31)) | 0;
  const at = opts.at ?? Date.now();
  const s = setup(parsed, opts, seed, at);
  const tally = new Tally(s.compiled, s.properties);
  if (opts.replay) {
    const call = replayCall(s, seed, opts.replay.path);
    tally.visit(call, decideSim(s.compiled, call), 0);
    // one call falls within few properties: vacuity says nothing about a replay
    return finish(parsed, s, tally, { seed, runs: 1, at, aborted: false, allowVacuous: true }, (p) => single(s, p, call, seed, opts.replay!.path));
  }
  const aborted = await run(s, tally, seed, runs, opts);
  return finish(parsed, s, tally, { seed, runs, at, aborted, allowVacuous: opts.allowVacuous === true }, (p, index) => shrink(s, p, seed, index));
}

/** The bulk pass: decode and decide call after call; yields between chunks. Resolves to `aborted`. */
async function run(s: Setup, tally: Tally, seed: number, runs: number, opts: SimulateOptions): Promise<boolean> {
  for (let i = 0; i < runs;) {
    if (opts.signal?.aborted) return true;
    const end = Math.min(runs, i + CHUNK);
    for (; i < end; i++) {
      const call = s.space.decode(s.space.genome(seed, i));
      tally.visit(call, decideSim(s.compiled, call), i);
    }
    opts.onProgress?.({ done: i, total: runs, broken: tally.brokenCount() });
    // INVARIANT: yield between chunks so an editor stays responsive and an abort can land.
    if (i < runs) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return false;
}

/** A replay path that does not fit this policy's calls (or this seed): the path of another policy or run. */
export class ReplayError extends Error {}

/**
 * Regenerate the call at a replay path: `INDEX`, `INDEX:SHRINK:STEPS` (fast-check's path below the call), either
 * followed by `@SLOT=GENE,…`, the genes the boundary pass changed after the shrink.
 */
function replayCall(s: Setup, seed: number, path: string): SimCall {
  const at = path.indexOf('@');
  const [head, ...rest] = (at < 0 ? path : path.slice(0, at)).split(':');
  const moves = at < 0 ? undefined : path.slice(at + 1);
  const index = Number(head);
  const changed = moves === undefined ? [] : moves.split(',').map((m) => m.split('=').map(Number) as [number, number]);
  if (!/^\d+$/.test(head ?? '') || !Number.isSafeInteger(index) || rest.some((x) => !/^\d+$/.test(x))
    || (moves !== undefined && !/^\d+=\d+(,\d+=\d+)*$/.test(moves))) {
    throw new ReplayError(`replay path \`${path}\` is not of the form INDEX or INDEX:STEP:…, optionally followed by @SLOT=GENE,…`);
  }
  // well formed, but of another policy's calls: a gene position or value this policy's calls do not have
  const misfit = changed.find(([slot, gene]) => !(slot < s.space.maxes.length && gene <= s.space.maxes[slot]!));
  if (misfit) {
    throw new ReplayError(`replay path \`${path}\` does not fit this policy's calls (\`@${misfit[0]}=${misfit[1]}\`: ${misfit[0] < s.space.maxes.length ? `gene ${misfit[0]} goes up to ${s.space.maxes[misfit[0]]}` : `they have ${s.space.maxes.length} genes`}); was it printed by a run of another policy?`);
  }
  const genome = s.space.genome(seed, index);
  const shrunk = rest.length === 0 ? genome : shrinkPath(s, genome, rest);
  if (!shrunk) throw new ReplayError(`replay path \`${path}\` does not lead to a call for seed ${seed}; replay it with the --seed of the run that printed it`);
  const g = [...shrunk];
  for (const [slot, gene] of changed) g[slot] = gene;
  return s.space.decode(g);
}

/** The genome fast-check's shrink reaches from `genome` along `steps` (its path below the first call). */
function shrinkPath(s: Setup, genome: Genome, steps: readonly string[]): Genome | undefined {
  let found: Genome | undefined;
  fc.check(fc.property(s.arb, (g) => {
    found ??= g;
    return false;
  }), { examples: [[genome]], numRuns: 1, path: ['0', ...steps].join(':'), endOnFailure: true });
  return found;
}

/** Shrink the first call that broke a property, with fast-check, checking only that property. */
function shrink(s: Setup, p: Property, seed: number, index: number): Counterexample | undefined {
  const genome = s.space.genome(seed, index);
  const holds = (g: Genome): boolean => {
    const c = s.space.decode(g);
    return typeof p.check(c, decideSim(s.compiled, c)) !== 'string';
  };
  const out = fc.check(fc.property(s.arb, holds), { examples: [[genome]], numRuns: 1, seed });
  if (!out.failed || !out.counterexample || out.counterexamplePath === null) return undefined;
  const steps = out.counterexamplePath.split(':').slice(1);
  // fast-check stops wherever no smaller gene breaks the property; the boundary pass then moves each number
  // to the bound where the violation begins. `single` checks the call it reports breaks the property.
  const bounded = towardsBoundary(s.space, out.counterexample[0]!, (g) => !holds(g));
  const moves = bounded.changed.map(([slot, gene]) => `${slot}=${gene}`).join(',');
  return single(s, p, s.space.decode(bounded.genome), seed, [String(index), ...steps].join(':') + (moves ? `@${moves}` : ''));
}

function single(s: Setup, p: Property, call: SimCall, seed: number, path: string): Counterexample | undefined {
  const d = decideSim(s.compiled, call);
  const why = p.check(call, d);
  if (typeof why !== 'string') return undefined;
  return {
    kind: p.kind, name: p.name, pointer: p.pointer, call: reportedCall(call), effect: d.effect,
    reasons: d.reasons.map((r) => r.message), why, replay: { seed, path, command: replayCommand(s.cmd, s.at, s.until, seed, path) }, command: checkCommand(s.cmd, call),
  };
}

interface RunInfo { seed: number; runs: number; at: number; aborted: boolean; allowVacuous: boolean }

function finish(parsed: ParsedPolicy, s: Setup, tally: Tally, info: RunInfo,
  counterexample: (p: Property, index: number) => Counterexample | undefined): SimulationReport {
  const where = (pointer: string): string => parsed.source.where(pointer);
  const properties: PropertyResult[] = [];
  const counterexamples: Counterexample[] = [];
  s.properties.forEach((p, i) => {
    const t = tally.props[i]!;
    const problems = p.kind === 'invariant' ? invariantProblems(s.compiled, s.tools, Number(p.pointer.split('/')[2]), where, parsed.source) : [];
    const status = problems.length > 0 ? 'invalid' : t.violations > 0 ? 'broken' : t.checked === 0 ? 'vacuous' : 'passed';
    const note = status === 'invalid' ? problems.map((x) => x.message).join('; ') : status === 'vacuous' ? vacuousNote(p, s) : undefined;
    properties.push({
      kind: p.kind, name: p.name, pointer: p.pointer, ...(p.pointer ? { where: where(p.pointer) } : {}), status, ...(note !== undefined ? { note } : {}),
      checked: t.checked, violations: t.violations, ...(status === 'broken' ? { through: tally.through(i) } : {}),
    });
    // an invalid invariant's counterexample would only show a typo at work
    if (t.first !== undefined && status !== 'invalid') {
      const cx = counterexample(p, t.first);
      if (cx) counterexamples.push(p.pointer ? { ...cx, where: where(p.pointer) } : cx);
    }
  });
  for (const o of testOutcomes(parsed, s)) {
    properties.push(o.result);
    if (o.counterexample) counterexamples.push(o.counterexample);
  }
  const { coverage, unexercised } = tally.coverage();
  const notes = universeNotes(s.universe, s.properties);
  const flags = { allowVacuous: info.allowVacuous };
  return {
    file: parsed.file, seed: info.seed, runs: info.runs, calls: tally.calls, at: new Date(info.at).toISOString(), aborted: info.aborted,
    ok: counterexamples.length === 0 && !properties.some((p) => failing(p, flags)), allowVacuous: info.allowVacuous,
    properties, counterexamples, coverage, unexercised, matrix: tally.matrix(),
    universe: { roles: s.universe.roleSets, tools: s.universe.tools.map((t) => t.name), times: s.universe.times.map((t) => new Date(t).toISOString()) },
    notes,
  };
}

function testOutcomes(parsed: ParsedPolicy, s: Setup): Array<{ result: PropertyResult; counterexample?: Counterexample }> {
  return (parsed.policy.tests ?? []).map((test, i) => {
    const o = runPolicyTest(parsed, s.compiled, test, i);
    const where = parsed.source.where(o.pointer);
    const result: PropertyResult = { kind: 'test', name: test.name, pointer: o.pointer, where, status: o.passed ? 'passed' : 'broken', checked: 1, violations: o.passed ? 0 : 1 };
    if (o.passed) return { result };
    const d = o.decision;
    const call: SimCall = { roles: testRoles(test.call), tool: test.call.tool, args: test.call.args ?? {}, context: testContext(test.call), now: o.at };
    const vacuous = vacuousTest(s.compiled, test) ?? schemaOnlyDenial(test, d);
    const why = vacuous !== undefined ? `cannot fail: ${vacuous}` : (d.effect !== test.expect ? `expected ${test.expect}, got ${d.effect}` : `no reason mentions \`${test.reason ?? ''}\``);
    return { result, counterexample: {
      kind: 'test', name: test.name, pointer: o.pointer, where, call: reportedCall(call), effect: d.effect, reasons: d.reasons.map((r) => r.message),
      why, replay: undefined, command: checkCommand(s.cmd, call),
    } };
  });
}

/** Why a property no generated call fell within proved nothing, in words a user can act on. */
function vacuousNote(p: Property, s: Setup): string {
  const m = p.kind === 'invariant' ? s.compiled.policy.invariants?.[Number(p.pointer.split('/')[2])] : undefined;
  const sel = m?.never ?? m?.always;
  const annotations = sel?.tool_annotations !== undefined || p.name === DESTRUCTIVE_BUILTIN;
  if (annotations && s.tools.size === 0) {
    return 'no manifest was given, so no tool\'s annotations are known and no call can fall within it (give --tools, or a server\'s `tools_manifest`)';
  }
  if (p.name === DESTRUCTIVE_BUILTIN) return 'no tool of the manifest is destructive';
  return 'no generated call fell within it, so it proved nothing';
}

function universeNotes(u: Universe, props: readonly Property[]): string[] {
  const notes: string[] = [];
  const unknown = u.tools.filter((t) => !t.info).map((t) => t.name);
  if (unknown.length > 0 && props.some((p) => p.kind === 'invariant')) {
    notes.push(`${unknown.length} tool${unknown.length === 1 ? ' has' : 's have'} no known definition (no manifest entry): their annotations are unknown, so \`tool_annotations\` selectors and the destructive-tool check skip them`);
  }
  return notes;
}
