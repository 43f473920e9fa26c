// "Mandate: Explain Decision": a call (role, tool, arguments, context) → the decision, its reasons,
// and links to the rules that decided it.

import * as vscode from 'vscode';
import { compile, decide, isGlob, parseDateTime, type Decision, type Json } from '../../../policies';
import type { MandateUi } from '../output';
import { choosePolicy, manifestTools, strictParse, toLocation } from '../policyDocs';

/** What a caller (CodeLens, webview, test) may pre-fill; anything missing is asked for. */
export interface ExplainArgs {
  uri?: string;
  role?: string;
  tool?: string;
  args?: Json;
  context?: Record<string, Json>;
  /** ISO time to decide at (default: now) */
  at?: string;
  /** skip the result UI (tests, webview) */
  quiet?: boolean;
}

export interface ExplainResult {
  decision: Decision;
  /** where each deciding rule sits */
  links: vscode.Location[];
}

/** A JSON object typed by the user (arguments and context are objects: `5` or `null` were taken, and explained nothing). */
async function askJson(prompt: string, value: string): Promise<Record<string, Json> | undefined> {
  const text = await vscode.window.showInputBox({ prompt, value, validateInput: jsonObjectProblem });
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, Json>);
}

/** Why `text` is not a JSON object, or undefined when it is. */
export function jsonObjectProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `a JSON object, such as {} or {"path": "docs/a.md"}, not ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`;
}

/** Run the command: returns the decision (undefined when the user cancels or the policy is invalid). */
export async function explainDecision(ui: MandateUi, a: ExplainArgs = {}): Promise<ExplainResult | undefined> {
  // the engine's own reading of times (RFC 3339 with a zone): Date.parse would take a zone-less time as local
  const now = a.at === undefined ? Date.now() : parseDateTime(a.at);
  if (Number.isNaN(now)) {
    void vscode.window.showErrorMessage(`explain: \`at\` must be a date-time with its zone, such as 2026-06-01T00:00:00Z, got \`${a.at}\``);
    return undefined;
  }
  const doc = await choosePolicy(a.uri);
  if (!doc) return undefined;
  const parsed = strictParse(doc);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`the policy has ${parsed.findings.length} error(s); fix them to explain decisions`);
    return undefined;
  }
  const { policy } = parsed.parsed;
  const role = a.role ?? (await vscode.window.showQuickPick(Object.keys(policy.roles ?? {}), { placeHolder: 'role of the caller' }));
  if (!role) return undefined;
  const known = manifestTools(doc.uri, policy.servers)?.tools.map((t) => t.name) ?? [];
  // INVARIANT: only the strict parse (parsed.ok) reaches compile()/decide() below
  const named = [...(policy.grants ?? []), ...(policy.deny ?? [])].flatMap((g) => (g.tool ? [g.tool] : g.tools ?? []));
  // a glob (`read_*`) is no tool a call names; any other tool is typed
  const other = '$(edit) Another tool…';
  let tool = a.tool;
  if (tool === undefined) {
    const pick = await vscode.window.showQuickPick([...new Set([...known, ...named])].filter((n) => !isGlob(n)).concat(other), { placeHolder: 'tool' });
    tool = pick === other ? (await vscode.window.showInputBox({ prompt: 'tool name', validateInput: (t) => (t.trim() ? undefined : 'the tool the call names') }))?.trim() : pick;
  }
  if (!tool) return undefined;
  const args = a.args ?? (await askJson(`arguments of \`${tool}\` (JSON object)`, '{}'));
  if (args === undefined) return undefined;
  const context = a.context ?? (await askJson('context (JSON object, e.g. {"environment":"prod"})', '{}'));
  if (context === undefined) return undefined;
  const manifest = manifestTools(doc.uri, policy.servers);
  const compiled = compile(parsed.parsed, manifest ? { tools: manifest } : {});
  const decision = decide(compiled, { principal: 'vscode-explain', roles: [role], tool, args, context, now });
  const links = decision.rules.filter((r) => r.source).map((r) => toLocation(doc.uri, r.source!));
  ui.log.info(`explain: ${role} → ${tool} ${JSON.stringify(args)} = ${decision.effect}`);
  decision.reasons.forEach((r) => ui.log.info(`  - ${r.message}`));
  if (!a.quiet) void showResult(doc.uri, role, tool, decision);
  return { decision, links };
}

async function showResult(uri: vscode.Uri, role: string, tool: string, decision: Decision): Promise<void> {
  const items = decision.reasons.map((r) => ({
    label: `$(${decision.effect === 'allow' ? 'pass' : decision.effect === 'deny' ? 'error' : 'question'}) ${r.message}`,
    description: r.rule?.id ?? '',
    source: r.rule?.source,
  }));
  const pick = await vscode.window.showQuickPick(items, { title: `${decision.effect.toUpperCase()}: ${role} → ${tool}`, placeHolder: 'select a reason to open its rule' });
  if (pick?.source) {
    const loc = toLocation(uri, pick.source);
    await vscode.window.showTextDocument(uri, { selection: loc.range });
  }
}
