// Quick fixes: each finding's FixData becomes a minimal workspace edit (fixEdit via the yaml Document API).

import * as vscode from 'vscode';
import { findingOf } from './diagnostics';
import { fixEdit } from './fixEdit';
import { isJsonPolicy } from './policyDocs';

/** Offers the linter's fixes for the diagnostics under the cursor. */
export class PolicyQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    const text = doc.getText();
    for (const d of ctx.diagnostics) {
      const finding = findingOf.get(d);
      for (const fix of finding?.fix ?? []) {
        const r = fixEdit(text, fix, isJsonPolicy(doc));
        if (!r) continue;
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end)), r.text);
        action.isPreferred = out.length === 0;
        out.push(action);
      }
    }
    return out;
  }
}
