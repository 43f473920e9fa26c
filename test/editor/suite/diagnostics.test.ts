// Diagnostics appear on a broken policy at the finding's exact range and clear when it is fixed.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, mandateDiagnostics, screenshot, until, wsUri } from './helpers';

describe('diagnostics', () => {
  it('marks an undeclared role at its exact range, then clears when the role is declared', async () => {
    await api();
    const uri = wsUri('broken.mandate.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    await until(vscode.languages.onDidChangeDiagnostics, () => mandateDiagnostics(uri).length > 0, 'diagnostics on broken.mandate.yaml');
    const d = mandateDiagnostics(uri).find((x) => x.code === 'ref/undeclared-role');
    assert.ok(d, `expected ref/undeclared-role, got ${JSON.stringify(mandateDiagnostics(uri).map((x) => x.code))}`);
    const line = doc.lineAt(d.range.start.line).text;
    assert.equal(doc.getText(d.range), 'writer', `range covers \`${doc.getText(d.range)}\` on line \`${line}\``);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await screenshot('diagnostics');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    // type the fix: declare the role under roles
    const rolesLine = doc.getText().split('\n').findIndex((l) => l.startsWith('roles:'));
    await editor.edit((e) => e.insert(new vscode.Position(rolesLine + 1, 0), '  writer: { description: Writes notes. }\n'));
    await until(vscode.languages.onDidChangeDiagnostics, () => !mandateDiagnostics(uri).some((x) => x.severity === vscode.DiagnosticSeverity.Error), 'error diagnostics to clear');
  });
});
