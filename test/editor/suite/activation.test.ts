// The extension activates in a real VS Code and contributes its commands.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api } from './helpers';

describe('activation', () => {
  it('activates and registers every Mandate command', async () => {
    const a = await api();
    assert.ok(a.activatedInMs >= 0);
    console.log(`[mandate-bench] activation ${a.activatedInMs.toFixed(1)} ms`);
    const cmds = await vscode.commands.getCommands(true);
    for (const id of ['mandate.explainDecision', 'mandate.runPolicyTests']) assert.ok(cmds.includes(id), `missing command ${id}`);
  });
});
