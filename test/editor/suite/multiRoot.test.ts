// A multi-root workspace (test/editor/run.mjs: folders `one`, `two`, `off`): each folder is its own — its settings
// read with the folder as scope, its .vscode/mcp.json servers offered, its relative paths resolved against it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AuditRecord } from '../../../policies';
import { api } from './helpers';

const folder = (name: string): string => {
  const f = vscode.workspace.workspaceFolders?.find((x) => x.name === name);
  if (!f) throw new Error(`no workspace folder \`${name}\``);
  return f.uri.fsPath;
};

describe('multi-root workspace', () => {
  it('offers each folder\'s guarded servers with that folder\'s settings, labels apart', async () => {
    const a = await api();
    const defs = await a.guarded.provideMcpServerDefinitions();
    const labels = defs.map((d) => d.label).sort();
    assert.deepEqual(labels, [
      // `one` sets no roles: the workspace file's; `two` sets its own for a policy of the same name
      'memory (guarded: auditor)',
      'memory (guarded: reader)',
      // both folders' .vscode/mcp.json hold `notes`, each chosen in its folder's settings: told apart by folder
      'notes (guarded: reader) — one/.vscode/mcp.json',
      'notes (guarded: reader) — two/.vscode/mcp.json',
      // `off` sets mandate.guard.enabled: false
    ]);
    const g = (label: string): NonNullable<ReturnType<typeof a.guarded.offered.get>> => a.guarded.offered.get(label)!;
    assert.equal(g('memory (guarded: reader)').policy, join(folder('one'), 'guarded.mandate.yaml'));
    assert.equal(g('memory (guarded: auditor)').policy, join(folder('two'), 'guarded.mandate.yaml'));
    assert.equal(g('memory (guarded: auditor)').audit, join(folder('two'), '.mandate', 'audit.jsonl'));
    assert.equal(g('notes (guarded: reader) — one/.vscode/mcp.json').policy, join(folder('one'), 'guarded.mandate.yaml'));
    // the policy `two` names for its server is relative to `two` (only `two` has it)
    const two = g('notes (guarded: reader) — two/.vscode/mcp.json');
    assert.equal(two.policy, join(folder('two'), 'policies', 'notes.mandate.yaml'));
    assert.equal(two.audit, join(folder('two'), 'policies', '.mandate', 'audit.jsonl'));
    // its server runs from its folder, as VS Code runs it, with `${workspaceFolder}` as that folder
    const def = defs.find((d) => d.label === two.label)!;
    assert.equal(def.cwd?.fsPath, folder('two'));
    assert.equal(def.env['MEMORY_FILE_PATH'], join(folder('two'), 'notes.jsonl'));
  });

  // VS Code's own start (workbench.mcp.startServer) finds no extension-provided server in this host's multi-root
  // window (it starts none, not even one whose label has no folder in it); the definition is run as VS Code would
  it('runs the second folder\'s mcp.json server through the proxy as defined: from its folder, by its relative path', async () => {
    const a = await api();
    const label = 'notes (guarded: reader) — two/.vscode/mcp.json';
    const def = (await a.guarded.provideMcpServerDefinitions()).find((d) => d.label === label)!;
    const child = spawn(def.command, def.args, { cwd: def.cwd!.fsPath, env: { ...process.env, ...def.env } as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const answers = new Map<number, { result?: { tools?: { name: string }[] } }>();
      let buf = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const answered = (id: number): Promise<void> => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer ${id}: ${stderr}`)), 20000);
        const check = (): void => { if (answers.has(id)) { clearTimeout(timer); resolve(); } else setTimeout(check, 20); };
        check();
      });
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
          const m = JSON.parse(buf.slice(0, nl)) as { id?: number; result?: { tools?: { name: string }[] } };
          buf = buf.slice(nl + 1);
          if (typeof m.id === 'number') answers.set(m.id, m);
        }
      });
      const send = (m: object): void => { child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`); };
      send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'multi-root test', version: '1' } } });
      await answered(1);
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/list', params: {} });
      await answered(2);
      assert.deepEqual(answers.get(2)!.result?.tools?.map((t) => t.name), ['read_graph'], 'the memory server, started by `./server.mjs` in `two`, shown as the role sees it');
      const audit = a.guarded.offered.get(label)!.audit;
      assert.ok(existsSync(audit), `no audit log at ${audit}`);
      const records = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
      assert.ok(records.some((r) => r.kind === 'session'), JSON.stringify(records.map((r) => r.kind)));
    } finally {
      child.kill();
    }
  });

  it('tells apart the servers of two folders of one name (`a/one`, `b/one`): their labels name the whole path', async () => {
    const a = await api();
    // a fourth folder, named `one` too, holding a policy of the same name that offers the same server and role
    const dir = join(mkdtempSync(join(tmpdir(), 'mandate-editor-samename-')), 'one');
    mkdirSync(dir);
    writeFileSync(join(dir, 'guarded.mandate.yaml'), readFileSync(join(folder('one'), 'guarded.mandate.yaml'), 'utf8'));
    const added = new Promise<void>((resolve) => { const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => { sub.dispose(); resolve(); }); });
    assert.ok(vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders!.length, 0, { uri: vscode.Uri.file(dir), name: 'one' }));
    await added;
    try {
      const labels = (await a.guarded.provideMcpServerDefinitions()).map((d) => d.label);
      assert.equal(new Set(labels).size, labels.length, `labels are unique: ${JSON.stringify(labels)}`);
      const readers = [...a.guarded.offered.values()].filter((g) => g.server === 'memory' && g.role === 'reader');
      assert.deepEqual(readers.map((g) => g.policy).sort(), [join(folder('one'), 'guarded.mandate.yaml'), join(dir, 'guarded.mandate.yaml')].sort());
      assert.ok(readers.every((g) => g.label.endsWith(`(${g.policy})`)), JSON.stringify(readers.map((g) => g.label)));
    } finally {
      const removed = new Promise<void>((resolve) => { const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => { sub.dispose(); resolve(); }); });
      vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders!.findIndex((f) => f.uri.fsPath === dir), 1);
      await removed;
      await a.guarded.provideMcpServerDefinitions();
    }
  });
});
