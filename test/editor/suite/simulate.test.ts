// "Mandate: Simulate Agent" finds the known hole in notes.mandate.yaml and shows the report.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { jumpToRule, type SimulateResult } from '../../../extension/editor/commands/simulate';
import { api, screenshot, wsUri } from './helpers';

describe('simulate agent', () => {
  it('reports the known counterexample: an editor deletes observations without approval', async () => {
    await api();
    const uri = wsUri('notes.mandate.yaml');
    await vscode.window.showTextDocument(uri);
    const r = await vscode.commands.executeCommand<SimulateResult>('mandate.simulateAgent', { uri: uri.toString(), quiet: true, runs: 1000, seed: 7 });
    assert.equal(r.report.ok, false);
    const cx = r.report.counterexamples.find((c) => c.name === 'deletions always need a human');
    assert.ok(cx, JSON.stringify(r.report.counterexamples.map((c) => c.name)));
    assert.equal(cx.call.tool, 'delete_observations');
    assert.deepEqual(cx.call.roles, ['editor']);
    assert.equal(cx.effect, 'allow');
    assert.ok(r.report.matrix.some((m) => m.roles === 'reader' && m.tool === 'read_graph' && m.allow > 0));
    assert.match(r.panel.webview.html, /id="heatmap"/);
    assert.match(r.panel.webview.html, /Content-Security-Policy" content="default-src 'none'/);
    await r.ready;
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await screenshot('simulation');
    // jump to the rule that allowed it: the editor grant line
    const range = await jumpToRule(uri, cx, undefined);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.lineAt(range!.start.line).text, /agent_role: editor/);
    r.panel.dispose();
  });
  it('runs invariants from the Test Explorer and fails the broken one', async () => {
    const s = await vscode.commands.executeCommand<{ passed: number; failed: number; failures: string[] }>('mandate.runPolicyTests', { uri: wsUri('notes.mandate.yaml').toString() });
    assert.equal(s.failed, 1, s.failures.join('\n'));
    assert.match(s.failures[0]!, /deletions always need a human/);
    assert.equal(s.passed, 2);
  });
});
