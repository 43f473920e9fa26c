// Real proxied sessions for the governance tests: the built proxy around the finance fixture server,
// driven by the SDK Client, writing one audit log across two sessions.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectProxy, FIXTURES, ROOT, tempDir } from '../proxy/support';

export const ALERTS = `
alerts:
  rules:
    - { on: denial_burst, count: 3, within_seconds: 600 }
    - { on: approval_refused }
    - { on: audit_failure }
    - { on: break_glass }
`;

const CONTEXT = ['--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme'];

/** Run two real sessions (executor, then reader) through the proxy; returns the policy and log paths. */
export async function recordSessions(): Promise<{ dir: string; policy: string; log: string }> {
  const dir = tempDir('mandate-governance-');
  const policy = join(dir, 'finance.mandate.yaml');
  copyFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml'), policy);
  writeFileSync(policy, readFileSync(policy, 'utf8') + ALERTS);
  const server = ['node', join(FIXTURES, 'finance-server.mjs')];
  const exec = await connectProxy({ policy, dir, server, proxyArgs: ['--role', 'finance_executor', '--agent', 'payments-agent', '--approval-timeout', '300', ...CONTEXT] });
  try {
    await exec.client.callTool({ name: 'list_invoices', arguments: {} });
    await exec.client.callTool({ name: 'list_invoices', arguments: {} });
    for (const id of ['p1', 'p2', 'p3']) await exec.client.callTool({ name: 'refund_payment', arguments: { payment_id: id } });
    // no one answers: the approval times out and the call is denied
    await exec.client.callTool({ name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 250, currency: 'EUR' } });
  } finally {
    await exec.close();
  }
  const reader = await connectProxy({ policy, dir, server, proxyArgs: ['--role', 'finance_reader', '--agent', 'ledger-bot', '--context', 'environment=prod'] });
  try {
    await reader.client.callTool({ name: 'get_balance', arguments: {} });
  } finally {
    await reader.close();
  }
  return { dir, policy, log: join(dir, 'audit.jsonl') };
}
