// Rendering a DiffReport for people: widened access first, each change with an example call.

import type { DecisionChange, DiffReport } from './diff';
import type { SettingChange } from './sections';

function changeLines(c: DecisionChange): string[] {
  const e = c.example;
  const ctx = Object.entries(e.context).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const who = c.agent !== undefined ? `agent ${c.agent} (${c.oldRoles || 'no roles'} → ${c.roles || 'no roles'})` : c.roles;
  return [
    `${c.widened ? 'WIDENED ' : 'narrowed'} ${who} → ${c.tool}: ${c.from} → ${c.to} (${c.count} generated call${c.count === 1 ? '' : 's'})`,
    `         example: ${JSON.stringify(e.args)}${ctx ? ` context ${ctx}` : ''} at ${e.at}`,
    `         old:     ${c.oldReasons.join('; ')}`,
    `         new:     ${c.newReasons.join('; ')}`,
    `         check:   ${c.command}`,
  ];
}

function settingLine(c: SettingChange): string {
  return `${c.widened ? 'WIDENED ' : 'narrowed'} ${c.summary}`;
}

/** Text lines for a diff; none at all when nothing changed (a pure refactor is silent). */
export function formatDiffText(r: DiffReport): string[] {
  if (r.changes.length === 0 && r.settings.length === 0) return [];
  const all = [...r.settings.map((c) => ({ widened: c.widened, lines: [settingLine(c)] })), ...r.changes.map((c) => ({ widened: c.widened, lines: changeLines(c) }))];
  const widened = all.filter((c) => c.widened).length;
  // INVARIANT: every widening is printed before any narrowing.
  const out = [...all.filter((c) => c.widened), ...all.filter((c) => !c.widened)].flatMap((c) => c.lines);
  out.push(`${r.old} → ${r.new}: ${widened} widened, ${all.length - widened} narrowed (${r.changedPairs.length} of ${r.pairs} role/tool pairs differ; ${r.calls} calls, seed ${r.seed})`);
  return out;
}
