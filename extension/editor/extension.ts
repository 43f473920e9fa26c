// The extension's entry: wires providers and commands to VS Code. Logic lives in one file per feature.

import * as vscode from 'vscode';
import { AuditAlerts } from './alerts';
import { ApprovalClient } from './approvals';
import { PolicyCodeLens } from './codeLens';
import { showAuditTimeline, verifyAuditLog } from './commands/audit';
import { explainDecision, type ExplainArgs } from './commands/explain';
import { newPolicyFromServer, type NewPolicyArgs } from './commands/newPolicy';
import { simulateAgent, type SimulateArgs } from './commands/simulate';
import { PolicyCompletion, PolicyHover } from './completion';
import { registerDiagnostics } from './diagnostics';
import { GuardedServers, PROVIDER_ID } from './mcpProvider';
import { MandateUi } from './output';
import { POLICY_SELECTOR, choosePolicy, isPolicy } from './policyDocs';
import { PolicyQuickFixes } from './quickFix';
import { PolicyTests } from './testing';

/** What activate() returns: handles the in-editor tests read (never used for decisions). */
export interface MandateApi {
  ui: MandateUi;
  tests: PolicyTests;
  guarded: GuardedServers;
  approvals: ApprovalClient;
  alerts: AuditAlerts;
  activatedInMs: number;
}

/** Activate: register everything; returns the API. */
export function activate(context: vscode.ExtensionContext): MandateApi {
  const t0 = performance.now();
  const ui = new MandateUi();
  const tests = new PolicyTests();
  const lenses = new PolicyCodeLens();
  const guarded = new GuardedServers(context.extensionPath, ui);
  const approvals = new ApprovalClient(ui);
  const alerts = new AuditAlerts(ui);
  const cmd = (id: string, fn: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, fn);
  context.subscriptions.push(
    ui,
    tests,
    registerDiagnostics(ui.log),
    vscode.languages.registerCodeActionsProvider(POLICY_SELECTOR, new PolicyQuickFixes(), { providedCodeActionKinds: PolicyQuickFixes.kinds }),
    vscode.languages.registerCompletionItemProvider(POLICY_SELECTOR, new PolicyCompletion(), ':', ' ', '-'),
    vscode.languages.registerHoverProvider(POLICY_SELECTOR, new PolicyHover()),
    vscode.languages.registerCodeLensProvider(POLICY_SELECTOR, lenses),
    vscode.workspace.onDidChangeTextDocument((e) => { if (isPolicy(e.document)) lenses.refresh(); }),
    guarded,
    approvals,
    alerts,
    guarded.onDidProvide(() => alerts.follow(guarded.offered.values())),
    vscode.lm.registerMcpServerDefinitionProvider(PROVIDER_ID, guarded),
    cmd('mandate.explainDecision', (a?: ExplainArgs) => explainDecision(ui, a)),
    cmd('mandate.simulateAgent', (a?: SimulateArgs) => simulateAgent(ui, a)),
    cmd('mandate.showAuditTimeline', (a?: { uri?: string; path?: string }) => showAuditTimeline(ui, a)),
    cmd('mandate.verifyAuditLog', (a?: { uri?: string; path?: string; quiet?: boolean }) => verifyAuditLog(ui, a)),
    cmd('mandate.newPolicyFromServer', (a?: NewPolicyArgs) => newPolicyFromServer(ui, a)),
    cmd('mandate.runPolicyTests', async (a?: { uri?: string }) => {
      const doc = await choosePolicy(a?.uri);
      if (!doc) return undefined;
      const file = tests.refresh(doc);
      return tests.run(new vscode.TestRunRequest([file]));
    }),
  );
  approvals.start();
  const activatedInMs = performance.now() - t0;
  ui.log.info(`activated in ${activatedInMs.toFixed(1)} ms`);
  return { ui, tests, guarded, approvals, alerts, activatedInMs };
}

/** Nothing to tear down beyond the subscriptions. */
export function deactivate(): void {}
