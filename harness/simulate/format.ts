// Rendering a SimulationReport: text for people, JUnit XML for CI (JSON is the report itself).

import type { Counterexample, PropertyResult, SimulationReport } from './report';

function callLine(cx: Counterexample): string {
  const c = cx.call;
  const ctx = Object.entries(c.context).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${c.roles.join(', ') || '(no role)'} → ${c.tool} ${JSON.stringify(c.args)}${ctx ? ` context ${ctx}` : ''} at ${c.at}`;
}

function label(p: { kind: string; name: string; where?: string }): string {
  return `${p.kind} \`${p.name}\`${p.where ? ` (${p.where})` : ''}`;
}

/** The counterexample's lines, indented under its heading. */
export function counterexampleLines(cx: Counterexample, result: PropertyResult | undefined, calls: number): string[] {
  const lines = [`BROKEN  ${label(cx)}`, `        why:       ${cx.why}`, `        call:      ${callLine(cx)}`,
    `        decision:  ${cx.effect}${cx.reasons.length > 0 ? ` — ${cx.reasons.join('; ')}` : ''}`];
  if (result && cx.kind !== 'test') lines.push(`        found by:  ${result.violations} of ${calls} calls`);
  lines.push(`        reproduce: ${cx.command}`);
  if (cx.replay) lines.push(`        replay:    ${cx.replay.command}`);
  return lines;
}

/** Human-readable report: broken properties first, then the rest, coverage and the decision matrix. */
export function formatText(r: SimulationReport): string[] {
  const out = [`mandate simulate ${r.file}: ${r.calls} calls, seed ${r.seed}, from ${r.at}${r.aborted ? ' (aborted)' : ''}`];
  const byPointer = (cx: Counterexample) => r.properties.find((p) => p.kind === cx.kind && p.name === cx.name && p.pointer === cx.pointer);
  for (const cx of r.counterexamples) out.push(...counterexampleLines(cx, byPointer(cx), r.calls));
  for (const p of r.properties) {
    if (p.status === 'broken' && r.counterexamples.some((c) => c.kind === p.kind && c.name === p.name)) continue;
    if (p.status === 'broken') out.push(`BROKEN  ${label(p)}: ${p.violations} calls broke it`);
    else if (p.status === 'vacuous') out.push(`vacuous ${label(p)}: no generated call fell within it`);
    else out.push(`ok      ${label(p)}${p.kind === 'test' ? '' : ` (${p.checked} calls)`}`);
  }
  const exercised = r.coverage.length - r.unexercised.length;
  out.push(`coverage: ${exercised} of ${r.coverage.length} rules decided a call`);
  for (const u of r.unexercised) out.push(`  never exercised: ${u.kind} ${u.id} (${u.where})`);
  out.push('decision matrix (roles × tool: allow / approval / deny):');
  const w1 = Math.max(5, ...r.matrix.map((m) => m.roles.length));
  const w2 = Math.max(4, ...r.matrix.map((m) => m.tool.length));
  for (const m of r.matrix) out.push(`  ${m.roles.padEnd(w1)}  ${m.tool.padEnd(w2)}  ${m.allow} / ${m.approval_required} / ${m.deny}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  const broken = r.properties.filter((p) => p.status === 'broken').length;
  out.push(broken === 0 ? `result: all ${r.properties.length} properties hold` : `result: ${broken} of ${r.properties.length} properties broken`);
  return out;
}

/** Escape text for XML 1.0, dropping characters XML cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex -- these control characters are exactly what XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit XML: one test suite per policy, one test case per property, a failure per broken one. */
export function formatJunit(reports: readonly SimulationReport[]): string {
  const total = reports.reduce((n, r) => n + r.properties.length, 0);
  const failures = reports.reduce((n, r) => n + r.properties.filter((p) => p.status === 'broken').length, 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mandate simulate" tests="${total}" failures="${failures}" errors="0">`];
  for (const r of reports) {
    const f = r.properties.filter((p) => p.status === 'broken').length;
    const skipped = r.properties.filter((p) => p.status === 'vacuous').length;
    out.push(`  <testsuite name="${xmlEscape(r.file)}" tests="${r.properties.length}" failures="${f}" errors="0" skipped="${skipped}">`);
    out.push('    <properties>', ...[['seed', String(r.seed)], ['calls', String(r.calls)], ['at', r.at]].map(([k, v]) => `      <property name="${k!}" value="${xmlEscape(v!)}"/>`), '    </properties>');
    for (const p of r.properties) {
      const head = `    <testcase classname="mandate.simulate.${p.kind}" name="${xmlEscape(p.name)}"`;
      if (p.status === 'passed') {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      if (p.status === 'vacuous') out.push('      <skipped message="no generated call fell within this property"/>');
      else {
        const cx = r.counterexamples.find((c) => c.kind === p.kind && c.name === p.name && c.pointer === p.pointer);
        const body = cx ? counterexampleLines(cx, p, r.calls).join('\n') : `${p.violations} calls broke it`;
        out.push(`      <failure message="${xmlEscape(cx?.why ?? 'broken')}" type="${p.kind}">${xmlEscape(body)}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}
