// Governance at scale: access review and the compliance report over a large audit log, against the
// chain verification of the same log (the baseline every report pays anyway), measured in the same run.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, parseAuditLines, parsePolicy, verifyChain } from '../../policies';
import { reviewAudit } from '../../harness/review';
import { buildReport, renderHtml } from '../../harness/report';
import { sha256 } from '../../extension/proxy/hash';
import { AuditLog } from '../../extension/proxy/auditLog';

const TOOLS = ['list_invoices', 'get_balance', 'issue_payment', 'refund_payment'] as const;

function makeLog(n: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mandate-bench-')), 'audit.jsonl');
  const log = AuditLog.open(path);
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const tool = TOOLS[i % 4]!;
    const effect = tool === 'refund_payment' ? 'deny' : tool === 'issue_payment' ? 'approval_required' : 'allow';
    const rules = tool === 'refund_payment' ? ['no-refunds-by-agents'] : tool === 'issue_payment' ? ['grants[0]'] : ['grants[1]'];
    log.append({ kind: 'decision', time: new Date(t0 + i * 1000).toISOString(), request_id: String(i), session: 's', caller: { principal: `agent-${i % 7}`, roles: ['finance_executor'] }, tool, args: {}, decision: { effect, rules, reasons: [] } });
  }
  log.close();
  return readFileSync(path, 'utf8');
}

function time<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

/** Print review and report cost per record, relative to verifying the chain. */
export async function run(log: (line: string) => void): Promise<void> {
  const file = join(__dirname, '../../policies/examples/finance.mandate.yaml');
  const p = parsePolicy(readFileSync(file, 'utf8'), 'finance.mandate.yaml');
  if (!p.ok) throw new Error('example policy does not parse');
  const compiled = compile(p.parsed);
  for (const n of [10_000, 100_000]) {
    const text = makeLog(n);
    const [, verifyMs] = time(() => verifyChain(text, sha256));
    const [records, parseMs] = time(() => parseAuditLines(text));
    const [, reviewMs] = time(() => reviewAudit(compiled, records));
    const [model, reportMs] = time(() => buildReport({ policy: p.parsed, logs: [{ file: 'audit.jsonl', text }], sha256, now: Date.now() }));
    const [html, htmlMs] = time(() => renderHtml(model));
    log(`${n} records (${(text.length / 1e6).toFixed(1)} MB): verify ${verifyMs.toFixed(0)} ms (baseline) · parse ${parseMs.toFixed(0)} ms · review ${reviewMs.toFixed(0)} ms (${(reviewMs / verifyMs).toFixed(2)}× verify) · full report model ${reportMs.toFixed(0)} ms (${(reportMs / verifyMs).toFixed(2)}× verify) · html ${htmlMs.toFixed(1)} ms, ${(html.length / 1024).toFixed(0)} KiB`);
  }
}
