// Renders a simulation report as the webview's HTML: role × tool heat map, counterexamples with
// replay / explain / jump buttons, rule coverage. Pure; CSP allows only this page's nonce.

import type { SimulationReport } from '../simulation';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The Content-Security-Policy of the report: nothing but this nonce's script and style. */
export function reportCsp(nonce: string): string {
  return `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'`;
}

function heatMap(r: SimulationReport, roles?: readonly string[]): string {
  const rows = r.matrix.filter((m) => !roles || roles.some((role) => m.roles.split('+').includes(role)));
  const roleSets = [...new Set(rows.map((m) => m.roles))];
  const tools = [...new Set(rows.map((m) => m.tool))].sort();
  const cell = (rs: string, tool: string): string => {
    const m = rows.find((x) => x.roles === rs && x.tool === tool);
    if (!m) return '<td class="none">·</td>';
    const total = m.allow + m.approval_required + m.deny;
    const share = (n: number): number => (total === 0 ? 0 : Math.min(4, Math.round((n / total) * 4)));
    const cls = m.allow > 0 ? `allow a${share(m.allow)}` : m.approval_required > 0 ? `approve a${share(m.approval_required)}` : 'deny';
    return `<td class="${cls}" title="${esc(`${rs} → ${tool}: ${m.allow} allow, ${m.approval_required} approval, ${m.deny} deny`)}">${m.allow}/${m.approval_required}/${m.deny}</td>`;
  };
  const head = tools.map((t) => `<th class="tool"><span>${esc(t)}</span></th>`).join('');
  const body = roleSets.map((rs) => `<tr><th>${esc(rs || '(no role)')}</th>${tools.map((t) => cell(rs, t)).join('')}</tr>`).join('');
  return `<table class="heat" id="heatmap"><thead><tr><th>role \\ tool</th>${head}</tr></thead><tbody>${body}</tbody></table>
<p class="legend"><span class="allow a4">allow</span> <span class="approve a4">approval</span> <span class="deny">deny</span> — cells: allow/approval/deny counts</p>`;
}

/** The rules whose decisions broke the counterexample's property, when more than its own decision names. */
function through(r: SimulationReport, c: SimulationReport['counterexamples'][number]): string {
  const rules = r.properties.find((p) => p.kind === c.kind && p.name === c.name && p.pointer === c.pointer)?.through ?? [];
  if (rules.length < 2) return '';
  return `\n  <p class="through">${rules.length} rules decided the calls that broke it: ${rules.map((x) => `${esc(x.id)} <small>${esc(x.where)}</small>`).join(', ')}</p>`;
}

function counterexamples(r: SimulationReport): string {
  if (r.counterexamples.length === 0) return '<p class="ok" id="no-counterexamples">no property broke</p>';
  return r.counterexamples.map((c, i) => `<div class="cx" data-index="${i}">
  <h3>${esc(c.kind)}: ${esc(c.name)} <small>${esc(c.where ?? '')}</small></h3>
  <p>${esc(c.why)}</p>
  <pre>${esc(`${c.call.roles.join(',')} → ${c.call.tool} ${JSON.stringify(c.call.args)}${Object.keys(c.call.context).length ? ` context ${JSON.stringify(c.call.context)}` : ''} at ${c.call.at}`)}</pre>
  <p>decision: <b>${esc(c.effect)}</b> — ${esc(c.reasons.join('; '))}</p>${through(r, c)}
  <p><button data-action="replay" data-index="${i}">Replay</button> <button data-action="explain" data-index="${i}">Explain</button> <button data-action="jump" data-index="${i}">Jump to rule</button> <span class="status" id="status-${i}"></span></p>
  <pre class="cmd">${esc(c.command)}</pre>
</div>`).join('\n');
}

function coverage(r: SimulationReport): string {
  const rows = [...r.coverage, ...r.unexercised.filter((u) => !r.coverage.some((c) => c.pointer === u.pointer))]
    .map((c) => `<tr class="${c.hits === 0 ? 'unused' : ''}"><td>${esc(c.kind)}</td><td>${esc(c.id)}</td><td>${c.hits}</td><td>${esc(c.where)}</td></tr>`).join('');
  return `<table class="cov"><thead><tr><th>rule</th><th>id</th><th>decided calls</th><th>source</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const STYLE = `body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid var(--vscode-panel-border);padding:2px 6px;font-size:12px;text-align:center}
th.tool span{writing-mode:vertical-rl;transform:rotate(180deg)}td.deny{background:#55555555}td.none{opacity:.4}
td.allow.a1,span.allow.a1{background:#2e7d3240}td.allow.a2{background:#2e7d3270}td.allow.a3{background:#2e7d32a0}td.allow.a4,span.allow.a4{background:#2e7d32e0}td.allow.a0{background:#2e7d3220}
td.approve.a0,td.approve.a1{background:#f9a82550}td.approve.a2,td.approve.a3{background:#f9a82590}td.approve.a4,span.approve.a4{background:#f9a825d0}span.deny{background:#55555555}
.cx{border-left:3px solid #e53935;padding-left:.8em;margin:1em 0}pre{white-space:pre-wrap;background:var(--vscode-textCodeBlock-background);padding:4px}
tr.unused td{color:#e53935}.ok{color:#2e7d32}.broken{color:#e53935}`;

const SCRIPT = `const vscode = acquireVsCodeApi();
document.addEventListener('click', (e) => { const b = e.target.closest('button[data-action]'); if (!b) return;
  vscode.postMessage({ type: b.dataset.action, index: Number(b.dataset.index) }); });
window.addEventListener('message', (e) => { const m = e.data;
  if (!m || m.type !== 'status' || typeof m.index !== 'number' || typeof m.text !== 'string') return;
  const s = document.getElementById('status-' + m.index); if (s) s.textContent = m.text; });
vscode.postMessage({ type: 'ready' });`;

/** The whole report page. `roles` narrows the heat map to the picked roles. */
function summary(r: SimulationReport): string {
  const count = (status: string): number => r.properties.filter((p) => p.status === status).length;
  const [broken, invalid, vacuous] = [count('broken'), count('invalid'), count('vacuous')];
  const parts = [broken > 0 ? `${broken} broken` : '', invalid > 0 ? `${invalid} invalid` : '', vacuous > 0 ? `${vacuous} vacuous` : ''].filter(Boolean);
  const head = r.ok ? 'no property broke' : `${parts.join(', ')} of ${r.properties.length} properties`;
  return r.ok && vacuous > 0 ? `${head} · ${vacuous} vacuous` : head;
}

/** Invalid and vacuous properties: they proved nothing, and say why. */
function provedNothing(r: SimulationReport): string {
  const rows = r.properties.filter((p) => p.status === 'invalid' || p.status === 'vacuous');
  if (rows.length === 0) return '';
  return `<h2>Proved nothing</h2><ul id="proved-nothing">${rows.map((p) => `<li class="${p.status === 'invalid' || (p.kind === 'invariant' && !r.allowVacuous) ? 'broken' : ''}"><b>${esc(p.status)}</b> ${esc(p.kind)} ${esc(p.name)} <small>${esc(p.where ?? '')}</small>: ${esc(p.note ?? 'no generated call fell within it')}</li>`).join('')}</ul>`;
}

export function reportHtml(r: SimulationReport, nonce: string, roles?: readonly string[]): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(nonce)}">
<style nonce="${nonce}">${STYLE}</style><title>Mandate simulation</title></head><body>
<h1>Simulate Agent — ${esc(r.file)}</h1>
<p class="${r.ok ? 'ok' : 'broken'}" id="summary">${esc(summary(r))} · ${r.calls} calls · seed ${r.seed}${r.aborted ? ' · cancelled' : ''}</p>
<h2>Decisions: role × tool</h2>${heatMap(r, roles)}
<h2>Counterexamples</h2>${counterexamples(r)}
${provedNothing(r)}
<h2>Rule coverage</h2>${coverage(r)}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
}
