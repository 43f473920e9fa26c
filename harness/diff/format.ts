// Rendering a DiffReport for people: widened access first, each change with an example call.

import type { DecisionChange, DiffReport } from './diff';

function changeLines(c: DecisionChange): string[] {
  const e = c.example;
  const ctx = Object.entries(e.context).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return [
    `${c.widened ? 'WIDENED ' : 'narrowed'} ${c.roles} → ${c.tool}: ${c.from} → ${c.to} (${c.count} generated call${c.count === 1 ? '' : 's'})`,
    `         example: ${JSON.stringify(e.args)}${ctx ? ` context ${ctx}` : ''} at ${e.at}`,
    `         old:     ${c.oldReasons.join('; ')}`,
    `         new:     ${c.newReasons.join('; ')}`,
    `         check:   ${c.command}`,
  ];
}

/** Text lines for a diff; none at all when no decision changed (a pure refactor is silent). */
export function formatDiffText(r: DiffReport): string[] {
  if (r.changes.length === 0) return [];
  const widened = r.changes.filter((c) => c.widened).length;
  const out = r.changes.flatMap(changeLines);
  out.push(`${r.old} → ${r.new}: ${widened} widened, ${r.changes.length - widened} narrowed (${r.changedPairs.length} of ${r.pairs} role/tool pairs differ; ${r.calls} calls, seed ${r.seed})`);
  return out;
}
