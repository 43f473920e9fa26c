// decide() latency and throughput against @cedar-policy/cedar-wasm on an equivalent policy, measured in
// the same run: p50/p99 of single calls (process.hrtime.bigint) and decisions/s at 3, 100, 1,000 roles × 50 tools.

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { compile, decide, type Call, type CompiledPolicy, type Policy } from '../../policies';

const ROLE_COUNTS = [3, 100, 1000];
const PLAIN_TOOLS = Array.from({ length: 45 }, (_, i) => `tool_${String(i).padStart(2, '0')}`);
const DELETE_TOOLS = ['delete_0', 'delete_1', 'delete_2', 'delete_3'];
/** 50 tools: 45 plain ones, a payment tool behind constraints, 4 deletions forbidden for everyone. */
const TOOLS = [...PLAIN_TOOLS, 'issue_payment', ...DELETE_TOOLS];
const CALLS = 256;

/** Role k's ten plain tools (distinct, spread over the 45). */
function toolsOf(k: number): string[] {
  return Array.from({ length: 10 }, (_, i) => PLAIN_TOOLS[(k * 7 + i * 4) % PLAIN_TOOLS.length]!);
}

function mandatePolicy(roles: number): Policy {
  const names = Array.from({ length: roles }, (_, k) => `r${k}`);
  return {
    version: 1,
    roles: Object.fromEntries(names.map((r) => [r, {}])),
    scopes: { pay: { args: { vendor: { in: ['acme-bv', 'globex-gmbh'] }, amount: { min: 0.01, max: 1000 }, currency: { equals: 'EUR' } } } },
    grants: names.flatMap((r, k) => [
      { agent_role: r, tools: toolsOf(k) },
      { agent_role: r, tool: 'issue_payment', scope: 'pay', context: { environment: ['prod'] } },
    ]),
    deny: [{ id: 'no-deletes', tools: ['delete_*'], reason: 'deletions go through change management' }],
  };
}

/** The same policy in Cedar: roles are parents of the agent, tools are actions, amounts are cents. */
function cedarPolicy(roles: number): string {
  const out: string[] = [];
  const list = (xs: string[]): string => xs.map((t) => `Action::"${t}"`).join(', ');
  for (let k = 0; k < roles; k++) {
    out.push(`permit(principal in Role::"r${k}", action in [${list(toolsOf(k))}], resource);`);
    out.push(`permit(principal in Role::"r${k}", action == Action::"issue_payment", resource) when {
  context has environment && context.environment == "prod" &&
  context.args has vendor && ["acme-bv", "globex-gmbh"].contains(context.args.vendor) &&
  context.args has amount && context.args.amount >= 1 && context.args.amount <= 100000 &&
  context.args has currency && context.args.currency == "EUR" };`);
  }
  out.push(`forbid(principal, action in [${list(DELETE_TOOLS)}], resource);`);
  return out.join('\n');
}

interface Pair {
  mandate: Call;
  cedar: cedar.StatefulAuthorizationCall;
}

/** A small deterministic PRNG (mulberry32), so every run decides the same calls. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mix of calls: granted tools, ungranted tools, payments in and out of bounds, forbidden deletions. */
function calls(roles: number, psetId: string): Pair[] {
  const rand = prng(roles);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const now = Date.parse('2026-06-01T12:00:00Z');
  return Array.from({ length: CALLS }, (_, i) => {
    const k = Math.floor(rand() * roles);
    let tool = pick(TOOLS);
    let args: Record<string, string | number> = {};
    let environment = 'prod';
    if (i % 4 === 0) tool = pick(toolsOf(k)); // a quarter certainly granted
    if (tool === 'issue_payment' || i % 4 === 1) {
      tool = 'issue_payment';
      args = { vendor: pick(['acme-bv', 'globex-gmbh', 'evil-corp']), amount: pick([250, 999.99, 1000, 1500]), currency: pick(['EUR', 'EUR', 'USD']) };
      environment = pick(['prod', 'prod', 'staging']);
    }
    const cents = Object.fromEntries(Object.entries(args).map(([key, v]) => [key, typeof v === 'number' ? Math.round(v * 100) : v]));
    return {
      mandate: { principal: `agent-${k}`, roles: [`r${k}`], tool, args, context: { environment }, now },
      cedar: {
        principal: { type: 'Agent', id: `agent-${k}` }, action: { type: 'Action', id: tool }, resource: { type: 'Server', id: 'payments' },
        context: { environment, args: cents }, preparsedPolicySetId: psetId,
        entities: [{ uid: { type: 'Agent', id: `agent-${k}` }, attrs: {}, parents: [{ type: 'Role', id: `r${k}` }] }],
      },
    };
  });
}

function cedarAllows(call: cedar.StatefulAuthorizationCall): boolean {
  const answer = cedar.statefulIsAuthorized(call);
  if (answer.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(answer.errors[0])}`);
  return answer.response.decision === 'allow';
}

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

/** Time `n` single calls one by one (p50/p99, ns), then `n` calls in a loop (decisions/s). */
function measure(n: number, fn: (i: number) => number): Figures {
  const samples = new Float64Array(n);
  (globalThis as { gc?: () => void }).gc?.(); // start each measurement from a collected heap (--expose-gc)
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    sink += fn(i);
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn(i);
  const elapsed = Number(process.hrtime.bigint() - t0);
  if (sink === -1) process.stdout.write(''); // keeps the calls observable
  return { p50: samples[Math.floor(n * 0.5)]!, p99: samples[Math.floor(n * 0.99)]!, perSecond: (n / elapsed) * 1e9 };
}

/** How many calls fit in about `budgetMs`, from a short trial (at least `min`, at most `max`). */
function calibrate(fn: (i: number) => number, budgetMs: number, min: number, max: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 64; i++) fn(i);
  const per = Number(process.hrtime.bigint() - t0) / 64;
  return Math.max(min, Math.min(max, Math.floor((budgetMs * 1e6) / Math.max(per, 1))));
}

const fmtNs = (ns: number): string => (ns < 1000 ? `${ns.toFixed(0)} ns` : ns < 1e6 ? `${(ns / 1000).toFixed(2)} µs` : `${(ns / 1e6).toFixed(2)} ms`);
const fmtRate = (r: number): string => (r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k/s` : `${r.toFixed(0)} /s`);
const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(8) : c.padStart(13))).join('');

/** Check the two policies decide every prepared call alike, or the comparison means nothing. */
function checkEquivalence(compiled: CompiledPolicy, pairs: Pair[]): { agree: number; allowed: number } {
  let agree = 0;
  let allowed = 0;
  for (const p of pairs) {
    const m = decide(compiled, p.mandate).effect === 'allow';
    if (m === cedarAllows(p.cedar)) agree++;
    if (m) allowed++;
  }
  return { agree, allowed };
}

/** The bench: figures per role count, then the ratios. */
export async function run(log: (line: string) => void): Promise<void> {
  log(`cedar-wasm ${cedar.getCedarVersion()} (statefulIsAuthorized on a preparsed policy set; amounts in cents); node ${process.version}`);
  const timer = measure(200_000, () => 0);
  log(`timer overhead (empty call): p50 ${fmtNs(timer.p50)}, p99 ${fmtNs(timer.p99)} — included in every p50/p99 below`);
  log(row(['roles', 'engine', 'rules', 'p50', 'p99', 'decisions/s', 'p50 ratio']));
  const summary: string[] = [];
  const mandateP50: number[] = [];
  for (const roles of ROLE_COUNTS) {
    const policy = mandatePolicy(roles);
    const compiled = compile(policy);
    const psetId = `bench-${roles}`;
    const parsed = cedar.preparsePolicySet(psetId, { staticPolicies: cedarPolicy(roles) });
    if (parsed.type !== 'success') throw new Error(`cedar policy did not parse: ${JSON.stringify(parsed.errors[0])}`);
    const pairs = calls(roles, psetId);
    const eq = checkEquivalence(compiled, pairs);
    if (eq.agree !== pairs.length) throw new Error(`the policies are not equivalent: ${eq.agree}/${pairs.length} calls agree`);

    const m = (i: number): number => decide(compiled, pairs[i % CALLS]!.mandate).effect.length;
    const c = (i: number): number => (cedarAllows(pairs[i % CALLS]!.cedar) ? 1 : 0);
    measure(20_000, m); // warm-up
    const mf = measure(calibrate(m, 300, 50_000, 500_000), m);
    measure(200, c);
    const cf = measure(calibrate(c, 1500, 200, 20_000), c);
    const ratio = cf.p50 / mf.p50;
    mandateP50.push(mf.p50);
    log(row([String(roles), 'mandate', String(policy.grants!.length + 1), fmtNs(mf.p50), fmtNs(mf.p99), fmtRate(mf.perSecond), '1×']));
    log(row([String(roles), 'cedar', String(2 * roles + 1), fmtNs(cf.p50), fmtNs(cf.p99), fmtRate(cf.perSecond), `${ratio.toFixed(0)}×`]));
    summary.push(`${roles} roles: mandate ${fmtNs(mf.p50)} p50 vs cedar ${fmtNs(cf.p50)} → ${ratio.toFixed(0)}× faster; throughput ${(mf.perSecond / cf.perSecond).toFixed(0)}× (${eq.agree}/${pairs.length} calls agree, ${eq.allowed} allowed)`);
  }
  for (const line of summary) log(line);
  const flat = mandateP50[mandateP50.length - 1]! / mandateP50[0]!;
  log(`mandate p50 at ${ROLE_COUNTS[ROLE_COUNTS.length - 1]} roles / at ${ROLE_COUNTS[0]} roles: ${flat.toFixed(2)}× (1.00× is perfectly flat)`);
}
