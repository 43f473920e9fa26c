// The report as one self-contained HTML file: inline CSS and SVG, no script, no external resource
// (a CSP meta forbids loading any), so it opens offline and can be attached to an audit ticket.

import type { MatrixCell } from './matrix';
import type { ReportModel } from './model';
import { esc, legend, timeChart, toolChart } from './svg';

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f4f4f4}code,pre{font-family:ui-monospace,monospace;font-size:12px}pre{background:#f6f8fa;padding:.6rem;overflow:auto}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.3rem}.ok{color:#2e7d32}.broken{color:#fff;background:#c62828;padding:.1rem .4rem;border-radius:4px}
td.allow{background:#e8f5e9}td.approval{background:#fff8e1}td.deny{background:#ffebee}td.conditional_deny{background:#fff3e0}td.none{color:#aaa}
.sev-error{color:#c62828;font-weight:600}.sev-warning{color:#e65100}.sev-info{color:#555}
ul.legend{list-style:none;padding:0;display:flex;gap:1rem}ul.legend span{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem}
.small{font-size:12px;color:#555}`;

const MARK: Record<MatrixCell['effect'], string> = { allow: '✓ allow', approval: '✓ with approval', deny: '✗ denied', conditional_deny: '✓ unless denied', none: '—' };

/** Render the report as a self-contained HTML document. */
export function renderHtml(m: ReportModel): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<meta name="mandate-policy-version" content="${esc(m.policy.version)}">`,
    `<title>${esc(m.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${esc(m.title)}</h1>`,
    summary(m), matrix(m), activity(m), integrity(m), findings(m), review(m),
    `<p class="small">generated ${esc(m.generatedAt)} by mandate from policy version <code>${esc(m.policy.version)}</code></p>`,
    '</body></html>\n',
  ].join('\n');
}

function summary(m: ReportModel): string {
  const t = m.activity.totals;
  const status = m.integrity.ok ? '<b class="ok" id="integrity-status">intact</b>' : '<b class="broken" id="integrity-status">BROKEN</b>';
  const card = (label: string, value: string, id: string) => `<div class="card" id="${id}">${value.startsWith('<b') ? value : `<b>${value}</b>`}${esc(label)}</div>`;
  return `<section id="summary"><p>Policy <code>${esc(m.policy.file)}</code>, version (SHA-256) <code id="policy-version">${esc(m.policy.version)}</code>; `
    + `${m.policy.roles} roles, ${m.policy.grants} grants, ${m.policy.denies} deny rules. Period: ${esc(m.period.since ?? 'all records')} – ${esc(m.period.until ?? 'now')}.</p>`
    + `<div class="cards">${card('audit chain', status, 'card-integrity')}${card('decisions', String(t.decisions), 'card-decisions')}`
    + `${card('denied', String(t.denied), 'card-denied')}${card('approvals asked', String(t.approval), 'card-approvals')}`
    + `${card('errors', String(t.errors), 'card-errors')}${card('findings', String(m.findings.length), 'card-findings')}</div></section>`;
}

function matrix(m: ReportModel): string {
  const head = `<tr><th>role \\ tool</th>${m.matrix.tools.map((t) => `<th><code>${esc(t)}</code></th>`).join('')}</tr>`;
  const rows = m.matrix.roles.map((r) => {
    const tags = [r.emergency ? 'break-glass' : '', r.readOnly ? 'read-only' : ''].filter(Boolean).join(', ');
    const cells = m.matrix.tools.map((t) => {
      const c = m.matrix.cells[r.name]?.[t];
      if (!c) return '<td class="none">—</td>';
      const detail = [...c.grants.map((g) => `grant <code>${esc(g)}</code>`), ...c.conditions.map(esc), ...c.denies.map((d) => `deny ${esc(d)}`)];
      return `<td class="${c.effect}" data-role="${esc(r.name)}" data-tool="${esc(t)}" data-effect="${c.effect}">${MARK[c.effect]}${detail.length ? `<div class="small">${detail.join('<br>')}</div>` : ''}</td>`;
    }).join('');
    return `<tr><th>${esc(r.name)}${tags ? `<div class="small">${esc(tags)}</div>` : ''}</th>${cells}</tr>`;
  });
  return `<section id="matrix"><h2>Who may do what</h2><p class="small">Each cell: what the role may do with the tool, under which grants, scopes, context, approval and time bounds. Deny rules win over grants.</p>`
    + `<table>${head}${rows.join('')}</table></section>`;
}

function activity(m: ReportModel): string {
  const a = m.activity;
  const t = a.totals;
  const tools = a.tools.map((x) => `<tr><td><code>${esc(x.tool)}</code></td><td>${x.allowed}</td><td>${x.approval}</td><td>${x.denied}</td><td>${x.errors}</td></tr>`).join('');
  return `<section id="activity"><h2>What happened</h2>`
    + `<p>${t.decisions} decisions: ${t.allowed} allowed, ${t.approval} sent to approval (${t.approvalsGranted} granted, ${t.approvalsRefused} refused or timed out), ${t.denied} denied; ${t.errors} errors; ${t.drift} tool-drift events; ${t.sessions} session records.${a.first ? ` From ${esc(a.first)} to ${esc(a.last ?? '')}.` : ''}</p>`
    + `${legend()}<figure>${timeChart(a)}<figcaption class="small">per ${esc(width(a.bucketMs))}</figcaption></figure><figure>${toolChart(a)}</figure>`
    + `<table id="tool-table"><tr><th>tool</th><th>allowed</th><th>approval</th><th>denied</th><th>errors</th></tr>${tools}</table></section>`;
}

function width(ms: number): string {
  return ms >= 86400e3 ? `${ms / 86400e3} day(s)` : ms >= 3600e3 ? `${ms / 3600e3} hour(s)` : `${ms / 60e3} minute(s)`;
}

function integrity(m: ReportModel): string {
  const rows = m.integrity.logs.map((l) => `<tr class="${l.ok ? 'ok' : 'bad'}"><td><code>${esc(l.file)}</code></td><td>${l.ok ? '<span class="ok">intact</span>' : '<span class="broken">BROKEN</span>'}</td><td>${l.records}</td>`
    + `<td>${l.bad ? `line ${l.bad.line}${l.bad.seq !== undefined ? ` (seq ${l.bad.seq})` : ''}: ${esc(l.bad.why)}` : `head <code>${esc(l.head.slice(0, 16))}</code>`}</td></tr>`).join('');
  // the proxy may record a prefix of the policy's SHA-256
  const other = m.versionsInLogs.filter((v) => !m.policy.version.startsWith(v));
  const versions = other.length ? `<p class="sev-warning">records were decided under other policy versions: ${other.map((v) => `<code>${esc(v)}</code>`).join(', ')}</p>` : '';
  return `<section id="integrity"><h2>Integrity</h2><p>Each record holds the SHA-256 of the one before it; an edited, deleted, reordered or truncated record breaks the chain.</p>`
    + `<table><tr><th>log</th><th>chain</th><th>records verified</th><th>detail</th></tr>${rows}</table>${versions}</section>`;
}

function findings(m: ReportModel): string {
  const rows = m.findings.map((f) => `<tr class="finding" data-rule="${esc(f.rule)}"><td class="sev-${f.severity}">${f.severity}</td><td>${f.source}</td><td><code>${esc(f.rule)}</code></td><td>${esc(f.message)}</td><td>${f.where ? `<code>${esc(f.where)}</code>` : ''}</td></tr>`).join('');
  return `<section id="findings"><h2>Findings</h2>${m.findings.length === 0 ? '<p>none</p>' : `<table><tr><th>severity</th><th>from</th><th>rule</th><th>message</th><th>where</th></tr>${rows}</table>`}</section>`;
}

function review(m: ReportModel): string {
  const rows = m.review.grants.map((g) => `<tr><td><code>${esc(g.grant)}</code></td><td>${esc(g.role)}</td><td>${g.tools.map((t) => `<code>${esc(t)}</code>`).join(' ')}</td>`
    + `<td>${g.calls === 0 ? '<span class="sev-warning">unused</span>' : g.calls}</td><td>${esc(g.by.map((b) => `${b.principal} ×${b.calls}`).join(', '))}${g.clients.length ? `<div class="small">via ${esc(g.clients.map((c) => c.client).join(', '))}</div>` : ''}</td><td>${esc(g.lastUsed ?? '')}</td></tr>`).join('');
  const narrow = m.review.narrowing.map((n) => `<h3>role <code>${esc(n.role)}</code>: narrow to what it used</h3><p>used ${n.used.map((t) => `<code>${esc(t)}</code>`).join(', ')}; never used ${n.unused.map((t) => `<code>${esc(t)}</code>`).join(', ')}. Replace ${n.replaces.map((r) => `<code>${esc(r.grant)}</code> (${esc(r.where)})`).join(', ')} with:</p><pre>${esc(n.proposal)}</pre>`).join('');
  return `<section id="review"><h2>Access review</h2><table><tr><th>grant</th><th>role</th><th>tools</th><th>calls</th><th>by</th><th>last used</th></tr>${rows}</table>${narrow}</section>`;
}
