// The report as Markdown (for pull requests and wikis): the same sections as the HTML, charts as tables.

import type { ReportModel } from './model';

const MARK = { allow: 'allow', approval: 'approval', deny: '**denied**', conditional_deny: 'allow unless denied', none: '—' } as const;

// INVARIANT: tool names, principals and reasons come from audit records, which an agent or a server chose:
// every such text is rendered inert — plain text with all ASCII punctuation backslash-escaped (no links, no
// HTML, no emphasis, no headings), code spans fenced longer than any backtick run inside, line breaks
// (\r included, a line ending in CommonMark) made spaces, and `|` escaped for tables.

/** Untrusted text as plain Markdown text. */
function cell(text: string): string {
  return oneLine(text).replace(/[\\`*_{}[\]()#+\-.!|<>&~"'=:$%^@,;?/]/g, (c) => `\\${c}`);
}

/** Untrusted text as a code span (HTML and links are literal inside; `|` is escaped for tables). */
function code(text: string): string {
  const t = oneLine(text).replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestBacktickRun(t) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** A fenced block whose fence no line of `body` can close. */
function fenced(lang: string, body: string): string[] {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [`${fence}${lang}`, body, fence];
}

/** Render the report as Markdown. */
export function renderMarkdown(m: ReportModel): string {
  const t = m.activity.totals;
  const out: string[] = [`# ${m.title}`, '',
    `Policy ${code(m.policy.file)}, version (SHA-256) ${code(m.policy.version)}; ${m.policy.roles} roles, ${m.policy.grants} grants, ${m.policy.denies} deny rules.`,
    `Period: ${m.period.since ?? 'all records'} – ${m.period.until ?? 'now'}. Generated ${m.generatedAt}.`, '',
    `Audit chain: ${m.integrity.ok ? 'intact' : '**BROKEN**'} · ${t.decisions} decisions · ${t.denied} denied · ${t.approval} approvals asked · ${t.errors} errors · ${m.findings.length} findings`, '',
    '## Who may do what', '', `| role \\ tool | ${m.matrix.tools.map((x) => code(x)).join(' | ')} |`, `|---|${m.matrix.tools.map(() => '---|').join('')}`];
  for (const r of m.matrix.roles) {
    const cells = m.matrix.tools.map((tool) => {
      const c = m.matrix.cells[r.name]?.[tool];
      if (!c) return '—';
      return [MARK[c.effect], ...c.conditions.map(cell), ...c.denies.map((d) => `deny ${cell(d)}`)].join('; ');
    });
    out.push(`| ${cell(r.name)}${r.emergency ? ' (break-glass)' : ''} | ${cells.join(' | ')} |`);
  }
  out.push('', '## What happened', '', `${t.allowed} allowed, ${t.approval} sent to approval (${t.approvalsGranted} granted, ${t.approvalsRefused} refused or timed out), ${t.denied} denied, ${t.errors} errors, ${t.drift} tool-drift events.`, '',
    '| from | allowed | approval | denied | errors |', '|---|---|---|---|---|',
    ...m.activity.buckets.map((b) => `| ${b.start} | ${b.allowed} | ${b.approval} | ${b.denied} | ${b.errors} |`), '',
    '| tool | allowed | approval | denied | errors |', '|---|---|---|---|---|',
    ...m.activity.tools.map((x) => `| ${code(x.tool)} | ${x.allowed} | ${x.approval} | ${x.denied} | ${x.errors} |`), '',
    '## Integrity', '', '| log | chain | records verified | detail |', '|---|---|---|---|',
    ...m.integrity.logs.map((l) => `| ${code(l.file)} | ${l.ok ? 'intact' : '**BROKEN**'} | ${l.records} | ${l.bad ? cell(`line ${l.bad.line}: ${l.bad.why}`) : `head ${l.head.slice(0, 16)}`} |`), '',
    '## Findings', '');
  if (m.findings.length === 0) out.push('none');
  for (const f of m.findings) out.push(`- ${cell(f.severity)} ${code(f.rule)} (${cell(f.source)}): ${cell(f.message)}${f.where ? ` — ${code(f.where)}` : ''}`);
  out.push('', '## Access review', '', '| grant | role | calls | by | last used |', '|---|---|---|---|---|',
    ...m.review.grants.map((g) => `| ${code(g.grant)} | ${cell(g.role)} | ${g.calls === 0 ? 'unused' : g.calls} | ${cell(g.by.map((b) => `${b.principal} ×${b.calls}`).join(', '))} | ${g.lastUsed ?? ''} |`));
  for (const n of m.review.narrowing) {
    out.push('', `Role ${code(n.role)} used ${n.used.map(code).join(', ')}; replace ${n.replaces.map((r) => `${code(r.grant)} (${cell(r.where)})`).join(', ')} with:`, '', ...fenced('yaml', n.proposal.trimEnd()));
  }
  return `${out.join('\n')}\n`;
}
