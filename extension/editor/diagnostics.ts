// Live diagnostics for policy files: the linter on every change, debounced, with exact ranges.

import * as vscode from 'vscode';
import { lintParsed } from '../../policies/lint';
import type { Finding } from '../../policies';
import { isPolicy, manifestTools, policyName, strictParse, toRange } from './policyDocs';

/** The finding behind each diagnostic (quick fixes read its fix data). */
export const findingOf = new WeakMap<vscode.Diagnostic, Finding>();

const SEVERITY = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information } as const;

/** Lint one document into diagnostics. */
export function diagnose(doc: vscode.TextDocument): vscode.Diagnostic[] {
  const parsed = strictParse(doc);
  const tools = parsed.ok ? manifestTools(doc.uri, parsed.parsed.policy.servers) : undefined;
  const findings = lintParsed(parsed, tools ? { tools } : {});
  return findings.map((f) => {
    const d = new vscode.Diagnostic(toRange(f.range), f.message, SEVERITY[f.severity]);
    d.source = 'mandate';
    d.code = f.rule;
    findingOf.set(d, f);
    return d;
  });
}

/** Keep diagnostics of open policy documents current, `mandate.lint.debounceMs` after the last edit. */
export function registerDiagnostics(log: vscode.LogOutputChannel): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('mandate');
  const timers = new Map<string, NodeJS.Timeout>();
  const run = (doc: vscode.TextDocument): void => {
    timers.delete(doc.uri.toString());
    if (doc.isClosed) return;
    try {
      collection.set(doc.uri, diagnose(doc));
    } catch (err) {
      log.error(`lint failed for \`${policyName(doc.uri)}\`: ${(err as Error).message}`);
    }
  };
  const schedule = (doc: vscode.TextDocument, now = false): void => {
    if (!isPolicy(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    const ms = vscode.workspace.getConfiguration('mandate').get<number>('lint.debounceMs', 250);
    if (now || ms <= 0) run(doc);
    else timers.set(key, setTimeout(() => run(doc), ms));
  };
  vscode.workspace.textDocuments.forEach((d) => schedule(d, true));
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument((d) => schedule(d, true)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => { collection.delete(d.uri); clearTimeout(timers.get(d.uri.toString())); }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
