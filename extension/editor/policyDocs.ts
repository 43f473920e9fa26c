// Which documents are policies, and reading them for the editor: strict parse (for decisions),
// tool manifests next to the policy, and source ranges as vscode ranges.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parsePolicy, type ParseResult, type SourceRange, type ToolInfo, type ToolManifest } from '../../policies';

/** Policy files: `*.mandate.yaml`, `*.mandate.yml`, `*.mandate.json`. */
export const POLICY_GLOB = '**/*.mandate.{yaml,yml,json}';

export const POLICY_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: POLICY_GLOB },
  { scheme: 'untitled', pattern: POLICY_GLOB },
];

/** True when the document is a Mandate policy. */
export function isPolicy(doc: vscode.TextDocument): boolean {
  return /\.mandate\.(ya?ml|json)$/i.test(doc.uri.path);
}

/** True when the policy is written as JSON. */
export function isJsonPolicy(doc: vscode.TextDocument): boolean {
  return /\.mandate\.json$/i.test(doc.uri.path);
}

/** The name a policy file goes by in findings and reasons: workspace-relative when possible. */
export function policyName(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

const cache = new WeakMap<vscode.TextDocument, { version: number; result: ParseResult }>();

/** The strict parse of a policy document (cached per version). Only this result reaches decide(). */
export function strictParse(doc: vscode.TextDocument): ParseResult {
  const hit = cache.get(doc);
  if (hit && hit.version === doc.version) return hit.result;
  const result = parsePolicy(doc.getText(), policyName(doc.uri));
  cache.set(doc, { version: doc.version, result });
  return result;
}

/** A vscode range for a 1-based policy source range. */
export function toRange(r: SourceRange): vscode.Range {
  const start = new vscode.Position(Math.max(0, r.start.line - 1), Math.max(0, r.start.col - 1));
  const end = new vscode.Position(Math.max(0, r.end.line - 1), Math.max(0, r.end.col - 1));
  return new vscode.Range(start, end.isBefore(start) ? start : end);
}

/** The location of a source range of the policy at `uri`. */
export function toLocation(uri: vscode.Uri, r: SourceRange): vscode.Location {
  return new vscode.Location(uri, toRange(r));
}

/** The tools of the servers a policy governs, from their saved manifests (`servers.*.tools_manifest`). */
export function manifestTools(policyUri: vscode.Uri, servers: unknown): ToolManifest | undefined {
  if (!servers || typeof servers !== 'object') return undefined;
  const tools: ToolInfo[] = [];
  for (const def of Object.values(servers as Record<string, { tools_manifest?: unknown }>)) {
    const rel = def?.tools_manifest;
    if (typeof rel !== 'string') continue;
    const path = isAbsolute(rel) ? rel : resolve(dirname(policyUri.fsPath), rel);
    try {
      const m = JSON.parse(readFileSync(path, 'utf8')) as { tools?: unknown };
      if (Array.isArray(m.tools)) tools.push(...m.tools.filter((t): t is ToolInfo => !!t && typeof (t as ToolInfo).name === 'string'));
    } catch {
      // an unreadable manifest only means fewer completions; lint reports it where it matters
    }
  }
  return tools.length > 0 ? { tools } : undefined;
}

/** Find the open document for a uri, or open it. */
export async function openPolicy(uri: vscode.Uri): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(uri);
}

/** The policy the user means: an argument, the active editor's policy, or a pick among the workspace's. */
export async function choosePolicy(arg?: vscode.Uri | string): Promise<vscode.TextDocument | undefined> {
  if (arg) return openPolicy(typeof arg === 'string' ? vscode.Uri.parse(arg) : arg);
  const active = vscode.window.activeTextEditor?.document;
  if (active && isPolicy(active)) return active;
  const files = await vscode.workspace.findFiles(POLICY_GLOB, '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showErrorMessage('no `*.mandate.yaml` or `*.mandate.json` policy in this workspace');
    return undefined;
  }
  if (files.length === 1) return openPolicy(files[0]!);
  const pick = await vscode.window.showQuickPick(files.map((u) => ({ label: policyName(u), uri: u })), { placeHolder: 'policy' });
  return pick ? openPolicy(pick.uri) : undefined;
}
