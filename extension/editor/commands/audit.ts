// "Mandate: Show Audit Timeline" (newest first, filterable, live as records arrive) and
// "Mandate: Verify Audit Log" (the hash chain), over the audit log a policy names.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { decodeAuditLog, parseAuditLines, verifyChain, type AuditRecord, type VerifyResult } from '../../../policies';
import { auditLogsBeside } from '../auditFiles';
import type { MandateUi } from '../output';
import { choosePolicy, strictParse } from '../policyDocs';
import { isTimelineReady, isTimelineRendered, type TimelineMessage, type TimelineRow } from '../webview/messages';
import { timelineHtml } from '../webview/timelineHtml';

const sha256 = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');
const MAX_ROWS = 2000;

/** `mandate.audit.path` for the folder of `scope` (relative to that folder), if set. */
function auditSetting(scope: vscode.Uri | undefined): string | undefined {
  const setting = vscode.workspace.getConfiguration('mandate', scope).get<string>('audit.path', '');
  if (!setting) return undefined;
  const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)?.uri.fsPath) ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return isAbsolute(setting) ? setting : resolve(folder, setting);
}

/**
 * The audit log to show: `mandate.audit.path` (of the folder of the given or active policy, else of the only
 * folder), else the chosen policy's `audit.path` (relative to it) — or, when guarded servers of that policy each
 * wrote their own log beside it (`audit.<server>.<role>.jsonl`), the one the user picks, newest first.
 */
export async function auditPath(uri?: string): Promise<string | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const scope = uri ? vscode.Uri.parse(uri) : vscode.window.activeTextEditor?.document.uri ?? (folders.length === 1 ? folders[0]!.uri : undefined);
  const early = auditSetting(scope);
  if (early) return early;
  const doc = await choosePolicy(uri);
  if (!doc) return undefined;
  // the chosen policy's folder may set its own
  const setting = auditSetting(doc.uri);
  if (setting) return setting;
  const parsed = strictParse(doc);
  const rel = (parsed.ok ? parsed.parsed.policy.audit?.path : undefined) ?? '.mandate/audit.jsonl';
  const base = isAbsolute(rel) ? rel : resolve(dirname(doc.uri.fsPath), rel);
  const logs = auditLogsBeside(base);
  if (logs.length <= 1) return logs[0] ?? base;
  const pick = await vscode.window.showQuickPick(logs.map((l) => ({ label: basename(l), description: new Date(statSync(l).mtimeMs).toLocaleString(), path: l })), { title: 'Which audit log?' });
  return pick?.path;
}

/** Verify a log's hash chain; shows the result and returns it. */
export async function verifyAuditLog(ui: MandateUi, a: { uri?: string; path?: string; quiet?: boolean } = {}): Promise<VerifyResult | undefined> {
  const path = a.path ?? (await auditPath(a.uri));
  if (!path) return undefined;
  if (!existsSync(path)) {
    void vscode.window.showErrorMessage(`no audit log at \`${path}\``);
    return undefined;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    void vscode.window.showErrorMessage(`cannot read the audit log \`${path}\`: ${(err as Error).message}`);
    return undefined;
  }
  // the file's bytes, UTF-8 checked: a hash is of decoded text, so an invalid byte where U+FFFD was would verify
  const result = verifyChain(decodeAuditLog(bytes), sha256);
  const text = result.ok ? `audit log \`${path}\` verified: ${result.records} record(s), chain intact` : `audit log \`${path}\` is broken: ${result.bad ? `line ${result.bad.line}: ${result.bad.why}` : 'chain mismatch'}`;
  ui.log.info(text);
  if (!a.quiet) void (result.ok ? vscode.window.showInformationMessage(text) : vscode.window.showErrorMessage(text));
  return result;
}

/** A record as a timeline row. */
export function toRow(r: AuditRecord): TimelineRow {
  const approval = r.approval ? `${r.approval.state}${r.approval.by ? ` by ${r.approval.by}` : ''}` : '';
  const result = r.result ? (r.result.is_error ? 'error' : 'ok') + (r.result.latency_ms !== undefined ? ` ${r.result.latency_ms} ms` : '') : r.error ? `${r.error.code}: ${r.error.message}` : '';
  return {
    seq: r.seq, time: r.time, kind: r.kind,
    who: r.caller ? `${r.caller.principal ?? 'anonymous'} (${r.caller.roles.join(', ')})` : '',
    client: r.caller?.client ? `${r.caller.client.name}${r.caller.client.version ? ` ${r.caller.client.version}` : ''}` : '',
    server: r.server ?? '', tool: r.tool ?? '', args: r.args === undefined ? '' : JSON.stringify(r.args).slice(0, 500),
    decision: r.decision ? `${r.decision.effect}${r.decision.reasons[0] ? `: ${r.decision.reasons[0]}` : ''}` : '', approval, result,
  };
}

/** The log's rows, newest first (lines that are not records are skipped; verify reports them). */
function rowsOf(text: string): TimelineRow[] {
  return parseAuditLines(text).map(toRow).reverse().slice(0, MAX_ROWS);
}

/** Open the live timeline for a log; returns the panel and a promise of its first rendering. */
export async function showAuditTimeline(ui: MandateUi, a: { uri?: string; path?: string } = {}): Promise<{ panel: vscode.WebviewPanel; rendered: Promise<number>; onRendered: vscode.Event<number> } | undefined> {
  const path = a.path ?? (await auditPath(a.uri));
  if (!path) return undefined;
  const panel = vscode.window.createWebviewPanel('mandate.auditTimeline', 'Mandate audit timeline', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
  const nonce = randomBytes(16).toString('base64');
  panel.webview.html = timelineHtml(nonce);
  const push = (): void => {
    // one read serves both the rows and the chain check; a log that cannot be read says so (this runs in a file watcher)
    let unreadable: string | undefined;
    let log;
    try {
      log = existsSync(path) ? decodeAuditLog(readFileSync(path)) : undefined;
    } catch (err) {
      unreadable = `cannot read the log: ${(err as Error).message}`;
    }
    const text = log?.text;
    const verified = log === undefined ? undefined : verifyChain(log, sha256);
    const msg: TimelineMessage = { type: 'records', file: path, rows: text === undefined ? [] : rowsOf(text), verified: unreadable ?? (verified ? (verified.ok ? `chain intact (${verified.records} records)` : `chain BROKEN: ${verified.bad ? `line ${verified.bad.line}: ${verified.bad.why}` : ''}`) : 'no log yet') };
    void panel.webview.postMessage(msg);
  };
  const renders = new vscode.EventEmitter<number>();
  const rendered = new Promise<number>((r) => { const sub = renders.event((n) => { sub.dispose(); r(n); }); });
  panel.webview.onDidReceiveMessage((m: unknown) => {
    if (isTimelineRendered(m)) renders.fire(m.rows);
    else if (isTimelineReady(m)) push();
    else ui.log.warn('timeline: ignored a malformed message');
  });
  // INVARIANT: the timeline follows the file as the proxy appends (polling stat: works for files created later too)
  watchFile(path, { interval: 500 }, push);
  panel.onDidDispose(() => { unwatchFile(path, push); renders.dispose(); });
  return { panel, rendered, onRendered: renders.event };
}
