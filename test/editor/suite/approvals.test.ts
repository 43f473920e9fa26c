// Approval requests from a running proxy reach the editor (the approval channel) with the exact tool
// and arguments; the editor's answer decides the call, and the audit log records who approved.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ApprovalRequest } from '../../../extension/proxy/approvalProtocol';
import { api } from './helpers';
import { recordsWhen } from '../../support/audit';

/** A line-delimited JSON-RPC client on a spawned proxy: resolves each response by id. */
function rpc(child: ChildProcessWithoutNullStreams): (id: number, method: string, params: object) => Promise<{ result?: { isError?: boolean }; error?: { message: string } }> {
  const waiting = new Map<number, (m: object) => void>();
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl)) as { id?: number };
      buf = buf.slice(nl + 1);
      if (typeof msg.id === 'number') waiting.get(msg.id)?.(msg);
    }
  });
  return (id, method, params) => new Promise((resolve) => {
    waiting.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });
}

describe('approvals in the editor', () => {
  it('approves one call and refuses another through the editor prompt', async () => {
    const a = await api();
    const seen: ApprovalRequest[] = [];
    a.approvals.asker = async (req) => { seen.push(req); return seen.length === 1 ? 'approve' : 'refuse'; };
    const root = vscode.extensions.getExtension('mandate-dev.mandate')!.extensionPath;
    const dir = mkdtempSync(join(tmpdir(), 'mandate-approve-'));
    writeFileSync(join(dir, 'approve.mandate.yaml'), [
      'version: 1',
      'roles: { writer: { description: Adds entities after a human says yes. } }',
      'grants: [{ agent_role: writer, tool: create_entities, requires_approval: true }]',
      'audit: { path: audit.jsonl }', ''].join('\n'));
    const child = spawn(process.execPath, [join(root, 'dist/proxy.js'), '--policy', join(dir, 'approve.mandate.yaml'), '--role', 'writer',
      '--server', 'memory', '--audit', join(dir, 'audit.jsonl'), '--approval-timeout', '30000', '--',
      process.execPath, join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')],
    { cwd: dir, env: { ...process.env, MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const call = rpc(child);
      await call(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'approval-test', version: '1' } });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const entity = (name: string): object => ({ name: 'create_entities', arguments: { entities: [{ name, entityType: 'note', observations: [] }] } });
      const ok = await call(2, 'tools/call', entity('approved-one'));
      assert.equal(ok.error, undefined, JSON.stringify(ok));
      assert.notEqual(ok.result?.isError, true, JSON.stringify(ok));
      const no = await call(3, 'tools/call', entity('refused-one'));
      assert.ok(no.error || no.result?.isError, `refused call must fail: ${JSON.stringify(no)}`);
      assert.deepEqual(seen.map((r) => [r.tool, (r.args as { entities: Array<{ name: string }> }).entities[0]!.name]), [['create_entities', 'approved-one'], ['create_entities', 'refused-one']]);
      // the refusal record is flushed after the answer goes out: wait for it on the file, never a sleep
      const approvals = (await recordsWhen(join(dir, 'audit.jsonl'), (rs) => rs.some((r) => r.approval?.state === 'refused')))
        .filter((r) => r.kind === 'approval' && r.approval?.state !== 'asked');
      assert.deepEqual(approvals.map((r) => [r.approval?.state, r.approval?.via]), [['granted', 'editor'], ['refused', 'editor']]);
    } finally {
      child.stdin.end();
      child.kill();
      await exited;
    }
  });
});

