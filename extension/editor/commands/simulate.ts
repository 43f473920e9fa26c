// "Mandate: Simulate Agent": pick policy, roles and servers; run the simulator with a cancellable
// progress notification; show the report in a webview (CSP, nonce) whose buttons replay / explain / jump.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { compile, decide, type ToolManifest } from '../../../policies';
import type { MandateUi } from '../output';
import { choosePolicy, manifestTools, strictParse, toRange } from '../policyDocs';
import { runSimulation, type Counterexample, type SimulationReport } from '../simulation';
import { isWebviewMessage, type EditorMessage } from '../webview/messages';
import { reportHtml } from '../webview/reportHtml';
import { explainDecision } from './explain';

export interface SimulateArgs {
  uri?: string;
  roles?: string[];
  servers?: string[];
  runs?: number;
  seed?: number;
  /** no pickers (tests, CodeLens with roles given) */
  quiet?: boolean;
}

export interface SimulateResult {
  report: SimulationReport;
  panel: vscode.WebviewPanel;
  /** resolves when the webview has rendered the report */
  ready: Promise<void>;
}

async function pickMany(items: string[], placeHolder: string, quiet: boolean): Promise<string[] | undefined> {
  if (quiet || items.length <= 1) return items;
  const picks = await vscode.window.showQuickPick(items.map((label) => ({ label, picked: true })), { canPickMany: true, placeHolder });
  return picks?.map((p) => p.label);
}

/** Run the command; resolves with the report and its panel (undefined when cancelled before running). */
export async function simulateAgent(ui: MandateUi, a: SimulateArgs = {}): Promise<SimulateResult | undefined> {
  const doc = await choosePolicy(a.uri);
  if (!doc) return undefined;
  const parsed = strictParse(doc);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`the policy has ${parsed.findings.length} error(s); fix them before simulating`);
    return undefined;
  }
  const { policy } = parsed.parsed;
  const roles = a.roles ?? (await pickMany(Object.keys(policy.roles ?? {}), 'roles to show', !!a.quiet));
  const serverNames = a.servers ?? (await pickMany(Object.keys(policy.servers ?? {}), 'servers whose tools to use', !!a.quiet));
  if (!roles || !serverNames) return undefined;
  const picked = Object.fromEntries(Object.entries(policy.servers ?? {}).filter(([n]) => serverNames.includes(n)));
  const tools = manifestTools(doc.uri, picked);
  const cfg = vscode.workspace.getConfiguration('mandate', doc.uri);
  const runs = a.runs ?? cfg.get<number>('simulate.runs', 500);
  const seedSetting = a.seed ?? cfg.get<number>('simulate.seed', 0);
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Mandate: simulating', cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    let last = 0;
    return runSimulation(parsed.parsed, { runs, ...(seedSetting ? { seed: seedSetting } : {}), ...(tools ? { tools } : {}), signal: abort.signal,
      onProgress: (p) => { progress.report({ increment: ((p.done - last) / p.total) * 100, message: `${p.done}/${p.total} calls, ${p.broken} broken` }); last = p.done; } });
  });
  ui.log.info(`simulate ${report.file}: ${report.calls} calls, seed ${report.seed}, ${report.counterexamples.length} counterexample(s)`);
  const { panel, ready } = showReport(ui, doc.uri, report, roles, tools);
  return { report, panel, ready };
}

function showReport(ui: MandateUi, uri: vscode.Uri, report: SimulationReport, roles: string[], tools: ToolManifest | undefined): { panel: vscode.WebviewPanel; ready: Promise<void> } {
  const panel = vscode.window.createWebviewPanel('mandate.simulation', `Simulation: ${report.file}`, vscode.ViewColumn.Beside,
    { enableScripts: true, localResourceRoots: [] });
  const nonce = randomBytes(16).toString('base64');
  panel.webview.html = reportHtml(report, nonce, roles);
  const post = (m: EditorMessage): void => { void panel.webview.postMessage(m); };
  let rendered: () => void = () => undefined;
  const ready = new Promise<void>((r) => { rendered = r; });
  panel.webview.onDidReceiveMessage(async (m: unknown) => {
    if (!isWebviewMessage(m)) { ui.log.warn('simulation report: ignored a malformed message from the webview'); return; }
    if (m.type === 'ready') { rendered(); return; }
    const cx = report.counterexamples[m.index];
    if (!cx) return;
    if (m.type === 'explain') await explainCounterexample(ui, uri, cx);
    else if (m.type === 'jump') await jumpToRule(uri, cx, tools);
    else post({ type: 'status', index: m.index, text: await replay(uri, report.at, cx, tools) });
  });
  return { panel, ready };
}

async function explainCounterexample(ui: MandateUi, uri: vscode.Uri, cx: Counterexample): Promise<void> {
  await explainDecision(ui, { uri: uri.toString(), role: cx.call.roles[0] ?? '', tool: cx.call.tool, args: cx.call.args, context: cx.call.context, at: cx.call.at });
}

/** Open the rule that decided the counterexample's call (or the broken property when no rule did). */
export async function jumpToRule(uri: vscode.Uri, cx: Counterexample, tools: ToolManifest | undefined): Promise<vscode.Range | undefined> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const parsed = strictParse(doc);
  if (!parsed.ok) return undefined;
  const d = decide(compile(parsed.parsed, tools ? { tools } : {}), { principal: 'simulate', roles: cx.call.roles, tool: cx.call.tool, args: cx.call.args, context: cx.call.context, now: Date.parse(cx.call.at) });
  const src = d.rules.find((r) => r.source)?.source ?? parsed.parsed.source.range(cx.pointer);
  const range = toRange(src);
  await vscode.window.showTextDocument(doc, { selection: range, viewColumn: vscode.ViewColumn.One });
  return range;
}

/** Replay the counterexample: regenerate its call from seed and path against the current policy text. */
async function replay(uri: vscode.Uri, at: string, cx: Counterexample, tools: ToolManifest | undefined): Promise<string> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const parsed = strictParse(doc);
  if (!parsed.ok) return 'the policy does not parse now';
  if (!cx.replay) return 'this counterexample has no replay data';
  let r: SimulationReport;
  try {
    r = await runSimulation(parsed.parsed, { runs: 1, seed: cx.replay.seed, replay: { path: cx.replay.path }, at: Date.parse(at), ...(tools ? { tools } : {}) });
  } catch (err) {
    return `cannot replay against the edited policy: ${(err as Error).message}`;
  }
  const still = r.counterexamples.find((c) => c.pointer === cx.pointer);
  return still ? `still broken: ${still.effect} — ${still.why}` : `fixed: the replayed call no longer breaks \`${cx.name}\``;
}
