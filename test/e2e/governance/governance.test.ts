// Governance end to end on an audit log written by real proxied sessions: access review, the compliance
// report rendered in headless Chromium (and a tampered log it must flag), alerts to a loopback webhook,
// and the OTLP export to a local receiver.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { AuditLog } from '../../../extension/proxy/auditLog';
import { sha256 } from '../../../extension/proxy/hash';
import { CLI } from '../proxy/support';
import { recordSessions } from './sessions';

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, out, errText) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, out, err: errText }));
  });
}

async function receiver(): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => { b += c.toString(); });
    req.on('end', () => { bodies.push(JSON.parse(b)); res.end('{}'); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs` };
}

type OtlpBody = { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string }; attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> };

/** The log records a receiver got: each one's body (the line) and whether it is marked `mandate.chain: broken`. */
function exported(bodies: unknown[]): Array<{ line: string; broken: boolean }> {
  return (bodies as OtlpBody[]).flatMap((b) => b.resourceLogs.flatMap((x) => x.scopeLogs.flatMap((y) => y.logRecords.map((z) => ({
    line: z.body.stringValue,
    broken: z.attributes.some((a) => a.key === 'mandate.chain' && a.value.stringValue === 'broken'),
  })))));
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

/** `mandate audit export --follow` on `log`: run `append` once the log's records have arrived, then stop it with SIGTERM. */
async function followExport(log: string, append: () => void): Promise<{ code: number | null; err: string; records: Array<{ line: string; broken: boolean }>; lines: string[] }> {
  const otlp = await receiver();
  try {
    const before = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const child = spawn(process.execPath, [CLI, 'audit', 'export', '--otlp', otlp.url, log, '--follow'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until('the records present at start', () => exported(otlp.bodies).length >= before);
    append();
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    await until('the appended records', () => exported(otlp.bodies).length >= lines.length);
    child.kill('SIGTERM');
    return { code: await exited, err, records: exported(otlp.bodies), lines };
  } finally {
    otlp.server.close();
  }
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('e2e governance: review, report, alerts and export on real proxied sessions', function () {
  this.timeout(90_000);
  let s: { dir: string; policy: string; log: string };
  let tampered: string;
  let browser: Browser;

  before(async () => {
    s = await recordSessions();
    tampered = join(s.dir, 'tampered.jsonl');
    // an insider rewrites one denial into something innocuous
    writeFileSync(tampered, readFileSync(s.log, 'utf8').replace('"tool":"refund_payment","args":{"payment_id":"p2"}', '"tool":"get_balance","args":{"payment_id":"p2"}'));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => { await browser?.close(); });

  it('access review: usage per grant and principal, the reader role narrowed, no grant invented', async () => {
    const r = await cli(['audit', 'review', '--policy', s.policy, s.log, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    const review = JSON.parse(r.out) as { grants: Array<{ grant: string; calls: number; by: Array<{ principal: string; calls: number }>; clients: Array<{ client: string; calls: number }>; perTool: Array<{ tool: string }> }>; unused: unknown[]; narrowing: Array<{ role: string; used: string[]; unused: string[]; proposal: string }> };
    const g = (id: string) => review.grants.find((x) => x.grant === id)!;
    assert.deepEqual(g('grants[1]').by, [{ principal: 'payments-agent', calls: 2 }]);
    assert.deepEqual(g('grants[0]').by, [{ principal: 'payments-agent', calls: 1 }]);
    assert.deepEqual(g('grants[2]').by, [{ principal: 'ledger-bot', calls: 1 }]);
    assert.deepEqual(g('grants[2]').clients, [{ client: 'e2e-client/1.2.3', calls: 1 }]);
    assert.deepEqual(review.unused, []);
    const exec = review.narrowing.find((n) => n.role === 'finance_executor')!;
    assert.deepEqual(exec.unused, ['get_balance']);
    assert.match(exec.proposal, /tool: list_invoices/);
    const reader = review.narrowing.find((n) => n.role === 'finance_reader')!;
    assert.deepEqual(reader.unused, ['list_invoices']);
    const text = await cli(['audit', 'review', '--policy', s.policy, s.log, '--since', '1d']);
    assert.match(text.out, /2 calls\s+grants\[1\]/);
  });

  it('report: renders offline in Chromium with the matrix, charts, integrity and policy version', async () => {
    const out = join(s.dir, 'report.html');
    const r = await cli(['report', '--policy', s.policy, '--audit', s.log, '--out', out]);
    assert.equal(r.code, 0, r.err);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(out).href);
    assert.deepEqual(requests, [pathToFileURL(out).href]);
    assert.equal(await page.textContent('#integrity-status'), 'intact');
    assert.equal(await page.textContent('#policy-version'), sha256(readFileSync(s.policy, 'utf8')));
    assert.equal(await page.getAttribute('td[data-role="finance_executor"][data-tool="issue_payment"]', 'data-effect'), 'approval');
    assert.equal(await page.getAttribute('td[data-role="finance_reader"][data-tool="issue_payment"]', 'data-effect'), 'none');
    assert.equal(await page.getAttribute('td[data-role="finance_executor"][data-tool="refund_*"]', 'data-effect'), 'deny');
    assert.match((await page.textContent('td[data-role="finance_executor"][data-tool="issue_payment"]'))!, /amount ≤ 1000/);
    const denied = await page.$$eval('#chart-time rect[data-series="denied"]', (els) => els.reduce((n, e) => n + Number(e.getAttribute('data-value')), 0));
    assert.equal(denied, 3);
    const box = await page.$eval('#chart-time', (e) => e.getBoundingClientRect().width);
    assert.ok(box > 100, 'the chart is drawn');
    assert.equal((await page.textContent('#card-decisions b'))?.trim(), '7');
    assert.ok(await page.$('tr.finding[data-rule="review/narrow-role"]'));
    await page.close();
  });

  it('report: a tampered log is flagged BROKEN, naming the line, and the command exits 1', async () => {
    const out = join(s.dir, 'tampered.html');
    const r = await cli(['report', '--policy', s.policy, '--audit', tampered, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /fails verification at line 9: hash chain broken/);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out).href);
    assert.equal(await page.textContent('#integrity-status'), 'BROKEN');
    assert.match((await page.textContent('#integrity'))!, /line 9 \(seq 8\): hash chain broken/);
    assert.ok(await page.$('tr.finding[data-rule="audit/chain-broken"]'));
    await page.close();
    const md = await cli(['report', '--policy', s.policy, '--audit', tampered, '--format', 'md']);
    assert.match(md.out, /Audit chain: \*\*BROKEN\*\*/);
  });

  it('report: the format follows --out\'s extension; another extension needs --format (r.txt got HTML, unsaid)', async () => {
    const txt = join(s.dir, 'r.txt');
    const r = await cli(['report', '--policy', s.policy, '--audit', s.log, '--out', txt]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--out .*r\.txt: the format follows the file's extension \(\.html, \.md, \.json\); name one, or give --format html\|md\|json/);
    assert.equal(existsSync(txt), false, 'nothing written');
    assert.equal((await cli(['report', '--policy', s.policy, '--audit', s.log, '--out', txt, '--format', 'md'])).code, 0);
    assert.match(readFileSync(txt, 'utf8'), /^# /);
    assert.equal((await cli(['report', '--policy', s.policy, '--audit', s.log, '--out', join(s.dir, 'R.MD')])).code, 0);
    assert.match(readFileSync(join(s.dir, 'R.MD'), 'utf8'), /^# /, 'an upper-case extension is the same');
  });

  it('alerts: the denial burst and the timed-out approval reach a loopback webhook; tampering raises an audit alert', async () => {
    const hook = await receiver();
    try {
      const r = await cli(['audit', 'alerts', '--policy', s.policy, s.log, '--webhook', hook.url.replace('/v1/logs', '/hook'), '--format', 'json']);
      assert.equal(r.code, 1, r.err);
      const kinds = (hook.bodies as Array<{ alert: { kind: string } }>).map((b) => b.alert.kind);
      assert.deepEqual(kinds, ['denial_burst', 'approval_refused']);
      assert.equal(r.out.trim().split('\n').length, 2);
      const t = await cli(['audit', 'alerts', '--policy', s.policy, tampered, '--format', 'json']);
      assert.match(t.out, /"kind":"audit_failure".*audit chain broken at seq 8: it does not hold the hash/);
      const bad = await cli(['audit', 'alerts', '--policy', s.policy, s.log, '--webhook', 'http://example.com/hook']);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /must be http:\/\/ on loopback/);
      // a gate with no rules fails rather than passing silently
      writeFileSync(join(dirname(s.policy), 'no-alerts.mandate.yaml'), 'version: 1\nroles: { r: { description: R. } }\n');
      const none = await cli(['audit', 'alerts', '--policy', join(dirname(s.policy), 'no-alerts.mandate.yaml'), s.log]);
      assert.equal(none.code, 1);
      assert.match(none.err, /the policy has no `alerts:` section: no rules to evaluate \(add one, or give --webhook URL/);
      const missing = await cli(['audit', 'alerts', '--policy', s.policy, `${s.log}.nowhere`]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /cannot read audit log `.*\.nowhere`: no such file$/m);
    } finally {
      hook.server.close();
    }
  });

  it('export: every record reaches a local OTLP/HTTP receiver', async () => {
    const otlp = await receiver();
    try {
      const r = await cli(['audit', 'export', '--otlp', otlp.url, s.log]);
      assert.equal(r.code, 0, r.err);
      const lines = readFileSync(s.log, 'utf8').split('\n').filter(Boolean);
      type Body = { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string } }> }> }> };
      const bodies = (otlp.bodies as Body[]).flatMap((b) => b.resourceLogs.flatMap((x) => x.scopeLogs.flatMap((y) => y.logRecords.map((z) => z.body.stringValue))));
      assert.deepEqual(bodies, lines);
    } finally {
      otlp.server.close();
    }
  });

  it('export --follow: a record the proxy appends is checked against the chain and sent unmarked (exit 0)', async () => {
    const log = join(s.dir, 'follow-good.jsonl');
    copyFileSync(s.log, log);
    const r = await followExport(log, () => {
      const a = AuditLog.open(log);
      a.append({ kind: 'session', time: new Date().toISOString(), detail: 'appended while following' });
      a.close();
    });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.records.map((x) => x.line), r.lines);
    assert.ok(r.records.every((x) => !x.broken));
    assert.doesNotMatch(r.err, /fails verification/);
  });

  it('export --follow: a forged appended record, and every record after it, is marked broken, said once on stderr, exit 1', async () => {
    const log = join(s.dir, 'follow-forged.jsonl');
    copyFileSync(s.log, log);
    const forged = JSON.stringify({ v: 1, seq: 99, prev: 'deadbeef', kind: 'decision', time: new Date().toISOString(), tool: 'issue_payment', decision: { effect: 'allow', rules: [], reasons: [] } });
    const n = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const r = await followExport(log, () => {
      appendFileSync(log, `${forged}\n`);
      appendFileSync(log, `${JSON.stringify({ v: 1, seq: 100, prev: sha256(forged), kind: 'session', time: new Date().toISOString() })}\n`);
    });
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.records.map((x) => x.line), r.lines);
    assert.deepEqual(r.records.map((x) => x.broken), r.lines.map((_, i) => i >= n));
    assert.equal(r.err.match(/fails verification/g)?.length, 1, r.err);
    assert.match(r.err, new RegExp(`follow-forged\\.jsonl\` fails verification at line ${n + 1}: sequence jumps`));
  });

  it('export: a `null` line is named and skipped, not a crash; the log fails verification (exit 1)', async () => {
    const log = join(s.dir, 'null-line.jsonl');
    writeFileSync(log, `${readFileSync(s.log, 'utf8')}null\n`);
    const otlp = await receiver();
    try {
      const r = await cli(['audit', 'export', '--otlp', otlp.url, log]);
      assert.equal(r.code, 1, r.err);
      assert.doesNotMatch(r.err, /internal error/);
      assert.match(r.err, /fails verification at line \d+: not an audit record/);
      assert.match(r.err, /skipped a line of `.*null-line\.jsonl` that is not an audit record/);
      assert.equal(exported(otlp.bodies).length, readFileSync(s.log, 'utf8').split('\n').filter(Boolean).length);
    } finally {
      otlp.server.close();
    }
  });

  it('report and review on a log with a `null` line and a record whose time does not parse: no crash, the record counted, the line named', async () => {
    const log = join(s.dir, 'odd.jsonl');
    copyFileSync(s.log, log);
    const a = AuditLog.open(log);
    a.append({ kind: 'decision', time: 'yesterday', tool: 'get_balance', caller: { principal: 'ledger-bot', roles: ['finance_reader'] }, decision: { effect: 'deny', rules: [], reasons: ['no'] } });
    a.close();
    const good = await cli(['report', '--policy', s.policy, '--audit', log, '--format', 'json']);
    assert.equal(good.code, 0, good.err);
    const model = JSON.parse(good.out) as { activity: { totals: { decisions: number; denied: number } } };
    assert.equal(model.activity.totals.decisions, 8, 'the record with an unreadable time is counted');
    appendFileSync(log, 'null\n');
    const lineNo = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const r = await cli(['report', '--policy', s.policy, '--audit', log, '--format', 'json']);
    assert.equal(r.code, 1, r.err);
    assert.doesNotMatch(r.err, /internal error/);
    assert.match(r.err, new RegExp(`fails verification at line ${lineNo}: not an audit record`));
    const review = await cli(['audit', 'review', '--policy', s.policy, log]);
    assert.equal(review.code, 0, review.err);
    assert.match(review.err, new RegExp(`^warning: audit log \`.*odd\\.jsonl\` fails verification at line ${lineNo}: not an audit record`));
  });
});
