// "Mandate: Explain Decision" returns the engine's decision with links to the deciding rules.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExplainResult } from '../../../extension/editor/commands/explain';
import { api, wsUri } from './helpers';

const prod = { environment: 'prod', region: 'eu-west-1', tenant: 'acme' };

describe('explain decision', () => {
  it('says approval_required for a whitelisted payment in range, linking the grant', async () => {
    await api();
    const r = await vscode.commands.executeCommand<ExplainResult>('mandate.explainDecision', {
      uri: wsUri('finance.mandate.yaml').toString(), role: 'finance_executor', tool: 'issue_payment',
      args: { vendor: 'acme-bv', amount: 250, currency: 'EUR' }, context: prod, at: '2026-06-01T00:00:00Z', quiet: true,
    });
    assert.equal(r.decision.effect, 'approval_required');
    assert.equal(r.links.length, 1);
    const doc = await vscode.workspace.openTextDocument(r.links[0]!.uri);
    assert.match(doc.lineAt(r.links[0]!.range.start.line).text, /issue_payment/);
  });
  it('denies a payment above 1000 with the amount reason', async () => {
    const r = await vscode.commands.executeCommand<ExplainResult>('mandate.explainDecision', {
      uri: wsUri('finance.mandate.yaml').toString(), role: 'finance_executor', tool: 'issue_payment',
      args: { vendor: 'acme-bv', amount: 1500, currency: 'EUR' }, context: prod, at: '2026-06-01T00:00:00Z', quiet: true,
    });
    assert.equal(r.decision.effect, 'deny');
    assert.ok(r.decision.reasons.some((x) => x.message.includes('exceeds max 1000')), JSON.stringify(r.decision.reasons));
  });
  it('explains a call to any tool: one a glob grants is typed, and the glob itself is not offered as a tool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-explain-'));
    const file = join(dir, 'glob.mandate.yaml');
    writeFileSync(file, ['version: 1', 'audit: { path: audit.jsonl }', 'roles: { reader: { description: Reads. } }',
      'grants: [{ agent_role: reader, tools: ["read_*"] }]', 'deny: [{ tool: read_secret, reason: Secrets stay secret. }]', ''].join('\n'));
    // answer the pickers as a user would: the tool list, then a typed tool name, arguments and context
    const win = vscode.window as { showQuickPick: unknown; showInputBox: unknown };
    const [quickPick, inputBox] = [win.showQuickPick, win.showInputBox];
    const offered: string[][] = [];
    const typed = ['read_notes', '{}', '{}'];
    win.showQuickPick = async (items: readonly string[] | Thenable<readonly string[]>): Promise<string | undefined> => {
      const list = [...(await items)];
      offered.push(list);
      return list.find((i) => /another tool/i.test(i));
    };
    const refused: Array<string | undefined> = [];
    win.showInputBox = async (o?: { validateInput?: (t: string) => string | undefined }): Promise<string | undefined> => {
      const answer = typed.shift();
      // the arguments and context boxes take a JSON object only (`5`, `null` and `[]` were taken)
      const check = o?.validateInput ?? ((): string => 'no check');
      if (answer === '{}') refused.push(...['5', 'null', '[]', '{"a":', '{}'].map((t) => check(t)));
      return answer;
    };
    let r: ExplainResult | undefined;
    try {
      r = await vscode.commands.executeCommand<ExplainResult | undefined>('mandate.explainDecision', { uri: vscode.Uri.file(file).toString(), role: 'reader', quiet: true });
    } finally {
      win.showQuickPick = quickPick;
      win.showInputBox = inputBox;
    }
    assert.equal(offered.length, 1, 'one picker: the tool');
    assert.ok(!offered[0]!.includes('read_*'), `a glob is no tool name: ${JSON.stringify(offered[0])}`);
    assert.ok(offered[0]!.includes('read_secret'), 'tools the policy names in deny rules are offered');
    assert.equal(r?.decision.effect, 'allow', 'read_notes is granted through read_*');
    assert.equal(refused.length, 10);
    for (const [i, why] of refused.entries()) {
      if (i % 5 === 4) assert.equal(why, undefined, '{} is an object');
      else assert.match(why ?? 'taken', /JSON object|not JSON/, `input ${i % 5} was taken`);
    }
  });
  it('refuses a time without a zone instead of reading it in local time', async () => {
    const ask = (at: string): Thenable<ExplainResult | undefined> => vscode.commands.executeCommand<ExplainResult | undefined>('mandate.explainDecision', {
      uri: wsUri('finance.mandate.yaml').toString(), role: 'finance_executor', tool: 'issue_payment',
      args: { vendor: 'acme-bv', amount: 250, currency: 'EUR' }, context: prod, at, quiet: true,
    });
    assert.equal(await ask('2026-06-01T00:00:00'), undefined);
    assert.equal(await ask('June 1, 2026'), undefined);
    assert.equal((await ask('2026-06-01T02:00:00+02:00'))?.decision.effect, 'approval_required');
  });
});
