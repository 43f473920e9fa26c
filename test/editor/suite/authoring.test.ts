// Completion, hover, CodeLens and the Test Explorer on real policy files.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../../extension/editor/testing';
import { api, mandateDiagnostics, until, wsUri } from './helpers';

async function completionsAt(uri: vscode.Uri, line: number, character: number): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, character));
  return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
}

describe('authoring', () => {
  it('completes grant fields from the schema and tool names from the server manifest', async () => {
    await api();
    const uri = wsUri('completion.mandate.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const grantsLine = doc.getText().split('\n').findIndex((l) => l.startsWith('grants:'));
    await editor.edit((e) => e.insert(new vscode.Position(grantsLine + 1, 0), '  - agent_role: editor\n    \n'));
    const fields = await completionsAt(uri, grantsLine + 2, 4);
    assert.ok(fields.includes('requires_approval') && fields.includes('expires'), JSON.stringify(fields));
    await editor.edit((e) => e.insert(new vscode.Position(grantsLine + 2, 4), 'tool: '));
    const tools = await completionsAt(uri, grantsLine + 2, 10);
    assert.ok(tools.includes('delete_entities') && tools.includes('read_graph'), JSON.stringify(tools));
  });
  it('lints a .mandate.json policy at exact ranges, and completes it in JSON, never with YAML keys', async () => {
    await api();
    const uri = wsUri('json.mandate.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await until(vscode.languages.onDidChangeDiagnostics, () => mandateDiagnostics(uri).some((d) => d.code === 'ref/undeclared-role'), 'the undeclared-role diagnostic on json.mandate.json');
    const d = mandateDiagnostics(uri).find((x) => x.code === 'ref/undeclared-role')!;
    assert.equal(doc.getText(d.range), '"writer"');
    // a key of the role's object, at the start of its line: VS Code's JSON support completes from the contributed schema (jsonValidation)
    const line = doc.getText().split('\n').findIndex((l) => l.includes('"description": "Reads notes."'));
    const col = doc.lineAt(line).firstNonWhitespaceCharacterIndex;
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, col));
    const inserts = list.items.map((i) => (typeof i.insertText === 'string' ? i.insertText : i.insertText?.value ?? (typeof i.label === 'string' ? i.label : i.label.label)));
    assert.ok(inserts.some((t) => t.startsWith('"read_only"')), JSON.stringify(inserts));
    // picking `read_only: ` here would make the file invalid JSON
    assert.deepEqual(inserts.filter((t) => /^[\w-]+: $/.test(t)), [], 'no YAML-style key completions in JSON');
  });
  it('shows the schema description on hover over a key', async () => {
    const uri = wsUri('notes.mandate.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('invariants:'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*invariants\*\*/);
  });
  it('puts Simulate and Explain lenses above each role and a run lens above tests', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', wsUri('notes.mandate.yaml'));
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.equal(titles.filter((t) => t === 'Simulate').length, 2);
    assert.equal(titles.filter((t) => t === 'Explain a call').length, 2);
    assert.ok(titles.includes('Run 2 policy tests'), JSON.stringify(titles));
  });
  it('runs the policy tests from the Test Explorer controller', async () => {
    const s = await vscode.commands.executeCommand<RunSummary>('mandate.runPolicyTests', { uri: wsUri('finance.mandate.yaml').toString() });
    assert.equal(s.failed, 0, s.failures.join('\n'));
    assert.equal(s.passed + s.skipped, 8 + 3, 'the 8 tests and 3 invariants of the example all ran');
    assert.ok(s.passed >= 8);
  });
  it('says why a policy that does not parse failed its run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mandate-run-')), 'syntax.mandate.yaml');
    writeFileSync(file, 'version: 1\nroles:\n  a: { description: x\ngrants: []\n');
    const s = await vscode.commands.executeCommand<RunSummary>('mandate.runPolicyTests', { uri: vscode.Uri.file(file).toString() });
    assert.equal(s.failed, 1);
    assert.equal(s.failures.length, 1, 'the failure comes with its reason');
    assert.match(s.failures[0]!, /syntax\.mandate\.yaml: the policy does not parse: /);
  });
});
