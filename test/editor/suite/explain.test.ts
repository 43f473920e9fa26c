// "Mandate: Explain Decision" returns the engine's decision with links to the deciding rules.
import assert from 'node:assert/strict';
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
