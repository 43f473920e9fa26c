// CodeLens above each role ("Simulate", "Explain a call") and above `tests` ("Run policy tests").

import * as vscode from 'vscode';
import { childPointer } from '../../policies';
import { isPolicy, strictParse, toRange } from './policyDocs';

/** Lenses from the strict parse's source map; none while the file does not parse. */
export class PolicyCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  /** Ask VS Code to recompute the lenses (after an edit). */
  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isPolicy(doc)) return [];
    const r = strictParse(doc);
    if (!r.ok) return [];
    const { policy, source } = r.parsed;
    const out: vscode.CodeLens[] = [];
    for (const role of Object.keys(policy.roles ?? {})) {
      const at = toRange(source.keyRange(childPointer('/roles', role)));
      out.push(new vscode.CodeLens(at, { title: 'Simulate', command: 'mandate.simulateAgent', arguments: [{ uri: doc.uri.toString(), roles: [role] }] }));
      out.push(new vscode.CodeLens(at, { title: 'Explain a call', command: 'mandate.explainDecision', arguments: [{ uri: doc.uri.toString(), role }] }));
    }
    if (policy.tests?.length) {
      const at = toRange(source.keyRange('/tests'));
      out.push(new vscode.CodeLens(at, { title: `Run ${policy.tests.length} policy tests`, command: 'mandate.runPolicyTests', arguments: [{ uri: doc.uri.toString() }] }));
    }
    return out;
  }
}
