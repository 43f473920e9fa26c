// Rendering a SimulationReport: text for people, JUnit XML for CI (JSON is the report itself).

import { failing, type Counterexample, type PropertyResult, type SimulationReport } from './report';

function callLine(cx: Counterexample): string {
  const c = cx.call;
  const ctx = Object.entries(c.context).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${c.roles.join(', ') || '(no role)'} → ${c.tool} ${JSON.stringify(c.args)}${ctx ? ` context ${ctx}` : ''} at ${c.at}`;
}

function label(p: { kind: string; name: string; where?: string }): string {
  return `${p.kind} \`${p.name}\`${p.where ? ` (${p.where})` : ''}`;
}

/** How many of the rules that broke a property the text names; JSON has them all. */
const THROUGH_SHOWN = 5;

/** `1 call`, `2 calls`. */
const callCount = (n: number): string => `${n} call${n === 1 ? '' : 's'}`;

/** The counterexample's lines, indented under its heading. */
export function counterexampleLines(cx: Counterexample, result: PropertyResult | undefined, calls: number): string[] {
  const lines = [`BROKEN  ${label(cx)}`, `        why:       ${cx.why}`, `        call:      ${callLine(cx)}`,
    `        decision:  ${cx.effect}${cx.reasons.length > 0 ? ` — ${cx.reasons.join('; ')}` : ''}`];
  if (result && cx.kind !== 'test') lines.push(`        found by:  ${result.violations} of ${callCount(calls)}`);
  const through = result?.through ?? [];
  if (through.length > 1) {
    const shown = through.slice(0, THROUGH_SHOWN).map((r) => `${r.id} (${r.where})`).join(', ');
    const more = through.length - THROUGH_SHOWN;
    lines.push(`        through:   ${through.length} rules decided the calls that broke it: ${shown}${more > 0 ? ` and ${more} more (--format json lists them)` : ''}`);
  }
  lines.push(`        reproduce: ${cx.command}`);
  if (cx.replay) lines.push(`        replay:    ${cx.replay.command}`);
  return lines;
}

/** Tools named on one line of the never-allowed summary before the rest are counted. */
const DENIED_SHOWN = 12;

/**
 * The decision matrix: a row per roles × tool pair some call was allowed (or sent for approval), then, a line per
 * roles, the tools every call of theirs was denied — on a large policy most pairs are denied-only, and a row each
 * buried the pairs that matter. `--format json` keeps every pair with its counts.
 */
export function matrixLines(matrix: SimulationReport['matrix']): string[] {
  const open = matrix.filter((m) => m.allow + m.approval_required > 0);
  const out = [`decision matrix (roles × tool: allow / approval / deny)${open.length === 0 ? ': no call was allowed or sent for approval' : ':'}`];
  const w1 = Math.max(5, ...matrix.map((m) => m.roles.length));
  const w2 = Math.max(4, ...open.map((m) => m.tool.length));
  for (const m of open) out.push(`  ${m.roles.padEnd(w1)}  ${m.tool.padEnd(w2)}  ${m.allow} / ${m.approval_required} / ${m.deny}`);
  const closed = new Map<string, string[]>();
  for (const m of matrix) {
    if (m.allow + m.approval_required > 0 || m.deny === 0) continue;
    const tools = closed.get(m.roles);
    if (tools) tools.push(m.tool);
    else closed.set(m.roles, [m.tool]);
  }
  if (closed.size > 0) out.push('denied in every call (--format json has the counts):');
  for (const [roles, tools] of closed) {
    const more = tools.length - DENIED_SHOWN;
    out.push(`  ${roles.padEnd(w1)}  ${tools.slice(0, DENIED_SHOWN).join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  return out;
}

/** Human-readable report: broken properties first, then the rest, coverage and the decision matrix. */
export function formatText(r: SimulationReport): string[] {
  const out = [`mandate simulate ${r.file}: ${callCount(r.calls)}, seed ${r.seed}, from ${r.at}${r.aborted ? ' (aborted)' : ''}`];
  const byPointer = (cx: Counterexample) => r.properties.find((p) => p.kind === cx.kind && p.name === cx.name && p.pointer === cx.pointer);
  for (const cx of r.counterexamples) out.push(...counterexampleLines(cx, byPointer(cx), r.calls));
  for (const p of r.properties) {
    if (p.status === 'broken' && r.counterexamples.some((c) => c.kind === p.kind && c.name === p.name)) continue;
    if (p.status === 'broken') out.push(`BROKEN  ${label(p)}: ${callCount(p.violations)} broke it`);
    else if (p.status === 'invalid') out.push(`INVALID ${label(p)}: ${p.note ?? 'it names what the policy does not have'}`);
    else if (p.status === 'vacuous') out.push(`${failing(p, r) ? 'VACUOUS' : 'vacuous'} ${label(p)}: ${p.note ?? 'no generated call fell within it'}`);
    else out.push(`ok      ${label(p)}${p.kind === 'test' ? '' : ` (${callCount(p.checked)})`}`);
  }
  const exercised = r.coverage.length - r.unexercised.length;
  const unsampled = r.unexercised.length > 0 ? ` in ${callCount(r.calls)} (a rule never exercised may be dead — lint's dead/ rules say which — or only unsampled: more --runs reach it)` : '';
  out.push(`coverage: ${exercised} of ${r.coverage.length} rules decided a call${unsampled}`);
  for (const u of r.unexercised) out.push(`  never exercised: ${u.kind} ${u.id} (${u.where})`);
  out.push(...matrixLines(r.matrix));
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(resultLine(r));
  return out;
}

/**
 * The last line: `result: all N properties hold` only when every property was checked and held; otherwise the
 * count of each outcome, vacuous ones always named (a property no call fell within proved nothing).
 */
export function resultLine(r: SimulationReport): string {
  const n = r.properties.length;
  const count = (status: PropertyResult['status']): number => r.properties.filter((p) => p.status === status).length;
  const [held, broken, invalid, vacuous] = [count('passed'), count('broken'), count('invalid'), count('vacuous')];
  if (broken + invalid + vacuous === 0) return `result: all ${n} properties hold`;
  const failingVacuous = r.properties.filter((p) => p.status === 'vacuous' && failing(p, r)).length;
  const parts = [broken > 0 ? `${broken} broken` : '', invalid > 0 ? `${invalid} invalid` : '', vacuous > 0 ? `${vacuous} vacuous` : ''].filter(Boolean);
  const tail = failingVacuous > 0 ? ` — ${failingVacuous} vacuous invariant${failingVacuous === 1 ? '' : 's'} proved nothing and fail${failingVacuous === 1 ? 's' : ''} the run (--allow-vacuous accepts ${failingVacuous === 1 ? 'it' : 'them'})` : '';
  return `result: ${held} of ${n} properties hold, ${parts.join(', ')}${tail}`;
}

/** Escape text for XML 1.0, dropping characters XML cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex -- these control characters are exactly what XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit outcome of one property: `failure` (broken, or a vacuous invariant the run does not accept), `error` (invalid), `skipped` (other vacuous). */
function junitOutcome(p: PropertyResult, r: SimulationReport): 'passed' | 'failure' | 'error' | 'skipped' {
  if (p.status === 'passed') return 'passed';
  if (p.status === 'invalid') return 'error';
  if (p.status === 'broken') return 'failure';
  return failing(p, r) ? 'failure' : 'skipped';
}

/**
 * JUnit XML: one test suite per policy, one test case per property; a failure per broken property and per
 * vacuous invariant the run does not accept (CI reads `skipped` as passing), an error per invalid invariant.
 */
export function formatJunit(reports: readonly SimulationReport[]): string {
  const tally = (r: SimulationReport, o: ReturnType<typeof junitOutcome>): number => r.properties.filter((p) => junitOutcome(p, r) === o).length;
  const total = reports.reduce((n, r) => n + r.properties.length, 0);
  const failures = reports.reduce((n, r) => n + tally(r, 'failure'), 0);
  const errors = reports.reduce((n, r) => n + tally(r, 'error'), 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mandate simulate" tests="${total}" failures="${failures}" errors="${errors}">`];
  for (const r of reports) {
    out.push(`  <testsuite name="${xmlEscape(r.file)}" tests="${r.properties.length}" failures="${tally(r, 'failure')}" errors="${tally(r, 'error')}" skipped="${tally(r, 'skipped')}">`);
    out.push('    <properties>', ...[['seed', String(r.seed)], ['calls', String(r.calls)], ['at', r.at]].map(([k, v]) => `      <property name="${k!}" value="${xmlEscape(v!)}"/>`), '    </properties>');
    for (const p of r.properties) {
      const head = `    <testcase classname="mandate.simulate.${p.kind}" name="${xmlEscape(p.name)}"`;
      if (p.status === 'passed') {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      const outcome = junitOutcome(p, r);
      const note = p.note ?? 'no generated call fell within this property';
      if (outcome === 'skipped') out.push(`      <skipped message="${xmlEscape(`vacuous: ${note}`)}"/>`);
      else if (outcome === 'error') out.push(`      <error message="${xmlEscape(note)}" type="invalid">${xmlEscape(`${label(p)}: ${note}`)}</error>`);
      else if (p.status === 'vacuous') {
        out.push(`      <failure message="${xmlEscape(`vacuous: ${note}`)}" type="vacuous">${xmlEscape(`${label(p)}: vacuous — ${note} (--allow-vacuous accepts it)`)}</failure>`);
      } else {
        const cx = r.counterexamples.find((c) => c.kind === p.kind && c.name === p.name && c.pointer === p.pointer);
        const body = cx ? counterexampleLines(cx, p, r.calls).join('\n') : `${callCount(p.violations)} broke it`;
        out.push(`      <failure message="${xmlEscape(cx?.why ?? 'broken')}" type="${p.kind}">${xmlEscape(body)}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}
