// The report as Markdown (for pull requests and wikis): the same sections as the HTML, charts as tables.

import type { ReportModel } from './model';

const MARK = { allow: 'allow', approval: 'approval', deny: '**denied**', conditional_deny: 'allow unless denied', none: '—' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Render the report as Markdown. */
export function renderMarkdown(m: ReportModel): string {
  const t = m.activity.totals;
  const out: string[] = [`# ${m.title}`, '',
    `Policy \`${m.policy.file}\`, version (SHA-256) \`${m.policy.version}\`; ${m.policy.roles} roles, ${m.policy.grants} grants, ${m.policy.denies} deny rules.`,
    `Period: ${m.period.since ?? 'all records'} – ${m.period.until ?? 'now'}. Generated ${m.generatedAt}.`, '',
    `Audit chain: ${m.integrity.ok ? 'intact' : '**BROKEN**'} · ${t.decisions} decisions · ${t.denied} denied · ${t.approval} approvals asked · ${t.errors} errors · ${m.findings.length} findings`, '',
    '## Who may do what', '', `| role \\ tool | ${m.matrix.tools.map((x) => `\`${cell(x)}\``).join(' | ')} |`, `|---|${m.matrix.tools.map(() => '---|').join('')}`];
  for (const r of m.matrix.roles) {
    const cells = m.matrix.tools.map((tool) => {
      const c = m.matrix.cells[r.name]?.[tool];
      if (!c) return '—';
      return cell([MARK[c.effect], ...c.conditions, ...c.denies.map((d) => `deny ${d}`)].join('; '));
    });
    out.push(`| ${cell(r.name)}${r.emergency ? ' (break-glass)' : ''} | ${cells.join(' | ')} |`);
  }
  out.push('', '## What happened', '', `${t.allowed} allowed, ${t.approval} sent to approval (${t.approvalsGranted} granted, ${t.approvalsRefused} refused or timed out), ${t.denied} denied, ${t.errors} errors, ${t.drift} tool-drift events.`, '',
    '| from | allowed | approval | denied | errors |', '|---|---|---|---|---|',
    ...m.activity.buckets.map((b) => `| ${b.start} | ${b.allowed} | ${b.approval} | ${b.denied} | ${b.errors} |`), '',
    '| tool | allowed | approval | denied | errors |', '|---|---|---|---|---|',
    ...m.activity.tools.map((x) => `| \`${cell(x.tool)}\` | ${x.allowed} | ${x.approval} | ${x.denied} | ${x.errors} |`), '',
    '## Integrity', '', '| log | chain | records verified | detail |', '|---|---|---|---|',
    ...m.integrity.logs.map((l) => `| \`${cell(l.file)}\` | ${l.ok ? 'intact' : '**BROKEN**'} | ${l.records} | ${l.bad ? cell(`line ${l.bad.line}: ${l.bad.why}`) : `head ${l.head.slice(0, 16)}`} |`), '',
    '## Findings', '');
  if (m.findings.length === 0) out.push('none');
  for (const f of m.findings) out.push(`- ${f.severity} \`${f.rule}\` (${f.source}): ${f.message}${f.where ? ` — \`${f.where}\`` : ''}`);
  out.push('', '## Access review', '', '| grant | role | calls | by | last used |', '|---|---|---|---|---|',
    ...m.review.grants.map((g) => `| \`${cell(g.grant)}\` | ${cell(g.role)} | ${g.calls === 0 ? 'unused' : g.calls} | ${cell(g.by.map((b) => `${b.principal} ×${b.calls}`).join(', '))} | ${g.lastUsed ?? ''} |`));
  for (const n of m.review.narrowing) {
    out.push('', `Role \`${n.role}\` used ${n.used.join(', ')}; replace ${n.replaces.map((r) => `\`${r.grant}\` (${r.where})`).join(', ')} with:`, '', '```yaml', n.proposal.trimEnd(), '```');
  }
  return `${out.join('\n')}\n`;
}
