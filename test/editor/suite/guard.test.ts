// The MCP provider's guarded server is started by VS Code; vscode.lm.invokeTool through it is allowed
// or refused as the policy says, and the audit log holds matching, verifiable records.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AuditRecord, VerifyResult } from '../../../policies';
import { api, screenshot, workspaceDir } from './helpers';

function text(r: vscode.LanguageModelToolResult): string {
  return r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : JSON.stringify(p))).join('');
}

const LABEL = 'memory (guarded: searcher)';

describe('guarded MCP servers', () => {
  const ws = (): string => workspaceDir();
  // the policy's log would have two writers (its `memory` server and the .vscode/mcp.json one): each has its own
  const audit = (): string => join(ws(), '.mandate', 'guarded-audit.memory.searcher.jsonl');

  before(async () => {
    const a = await api();
    // the runner wrote guarded.mandate.yaml and `mandate.guard.roles`; wait until the provider offered it
    if (a.guarded.offered.has(LABEL)) return;
    await new Promise<void>((resolve) => {
      const sub = a.guarded.onDidProvide((labels) => { if (labels.includes(LABEL)) { sub.dispose(); resolve(); } });
    });
  });

  it('offers the guarded server and VS Code starts it through the proxy', async () => {
    const a = await api();
    // start exactly this server: `.vscode/mcp.json` also holds an unguarded one VS Code would start with '*'
    await vscode.commands.executeCommand('workbench.mcp.startServer', `mandate-dev.mandate/${LABEL}`, { autoTrustChanges: true, waitForLiveTools: true });
    assert.ok(a.guarded.offered.has('memory (guarded: searcher)'), JSON.stringify([...a.guarded.offered.keys()]));
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(names.some((n) => n.endsWith('search_nodes')), JSON.stringify(names));
    assert.ok(!names.some((n) => n.endsWith('create_entities')), 'tools/list shows the role only its granted tools');
  });

  it('also offers the .vscode/mcp.json server the user chose, behind the chosen policy and role', async () => {
    const a = await api();
    const info = a.guarded.offered.get('notes-memory (guarded: searcher)');
    assert.ok(info, JSON.stringify([...a.guarded.offered.keys()]));
    assert.equal(info.policy, join(ws(), 'guarded.mandate.yaml'));
    assert.equal(info.role, 'searcher');
    assert.equal(info.audit, join(ws(), '.mandate', 'guarded-audit.notes-memory.searcher.jsonl'));
    assert.equal(a.guarded.offered.get(LABEL)!.audit, audit(), 'one writer per log: the two guarded servers write apart');
  });

  it('guards a Streamable HTTP server of .vscode/mcp.json too: the proxy reaches it by URL, and decides and records its calls', async () => {
    const a = await api();
    const label = 'docs-http (guarded: searcher)';
    const info = a.guarded.offered.get(label);
    assert.ok(info, JSON.stringify([...a.guarded.offered.keys()]));
    assert.equal(info.audit, join(ws(), '.mandate', 'guarded-audit.docs-http.searcher.jsonl'));
    await vscode.commands.executeCommand('workbench.mcp.startServer', `mandate-dev.mandate/${label}`, { autoTrustChanges: true, waitForLiveTools: true });
    // server-everything lists a dozen tools; the role is granted echo only
    const echo = vscode.lm.tools.find((t) => t.name.endsWith('echo'));
    assert.ok(echo, JSON.stringify(vscode.lm.tools.map((t) => t.name)));
    assert.ok(!vscode.lm.tools.some((t) => /get-env|get_env/.test(t.name)), 'tools/list shows the role only its granted tools');
    const r = await vscode.lm.invokeTool(echo.name, { input: { message: 'through the guard' }, toolInvocationToken: undefined });
    assert.match(text(r), /Echo: through the guard/);
    const records = readFileSync(info.audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    // tool calls only: VS Code may also read the server's resources or prompts list, and a server request is decided too
    assert.deepEqual(records.filter((x) => x.kind === 'decision' && x.tool !== undefined).map((x) => [x.server, x.tool, x.decision?.effect]), [['docs-http', 'echo', 'allow']]);
    assert.ok(records.some((x) => x.kind === 'session' && (x.detail as { upstream?: string }).upstream?.startsWith('http://127.0.0.1:')), 'the session names the URL it guards');
  });

  it('allows a short search and refuses a long one, with audit records to match', async () => {
    const tool = vscode.lm.tools.find((t) => t.name.endsWith('search_nodes'))!;
    const ok = await vscode.lm.invokeTool(tool.name, { input: { query: 'acme' }, toolInvocationToken: undefined });
    assert.match(text(ok), /entities/);
    const a = await api();
    const alerted = new Promise<string>((resolve) => {
      const sub = a.alerts.onDidAlert((alert) => { if (alert.kind === 'denial_burst') { sub.dispose(); resolve(alert.message); } });
    });
    let refused = '';
    try {
      refused = text(await vscode.lm.invokeTool(tool.name, { input: { query: 'a-query-far-too-long' }, toolInvocationToken: undefined }));
    } catch (err) {
      refused = String((err as Error).message);
    }
    assert.match(refused, /denied|max_length|longer/i);
    // the policy's `alerts:` (a burst of one denial) reaches the editor from the proxy's audit log
    assert.match(await alerted, /denial/i);
    const records = readFileSync(audit(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const decisions = records.filter((r) => r.kind === 'decision' && r.tool === 'search_nodes');
    assert.deepEqual(decisions.map((r) => [r.decision?.effect, (r.args as { query?: string }).query]), [['allow', 'acme'], ['deny', 'a-query-far-too-long']]);
    assert.deepEqual(decisions[0]!.caller?.roles, ['searcher']);
    const v = await vscode.commands.executeCommand<VerifyResult>('mandate.verifyAuditLog', { path: audit(), quiet: true });
    assert.equal(v.ok, true);
    assert.equal(v.records, records.length);
  });

  it('shows the audit timeline, and follows the log as records arrive', async () => {
    const t = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; rendered: Promise<number>; onRendered: vscode.Event<number> }>('mandate.showAuditTimeline', { path: audit() });
    assert.match(t.panel.webview.html, /Audit timeline/);
    const rows = await t.rendered;
    const records = readFileSync(audit(), 'utf8').trim().split('\n').length;
    assert.equal(rows, records, 'the timeline shows every record');
    // the decision and the outcome are two writes a few ms apart; the timeline polls the file, so they may
    // arrive in one render or two: wait for both (the test's timeout fails it when they never come)
    const more = new Promise<number>((resolve) => { const sub = t.onRendered((n) => { if (n >= rows + 2) { sub.dispose(); resolve(n); } }); });
    const tool = vscode.lm.tools.find((x) => x.name.endsWith('read_graph'))!;
    await vscode.lm.invokeTool(tool.name, { input: {}, toolInvocationToken: undefined });
    assert.ok((await more) >= rows + 2, 'the new decision and outcome appear');
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    await screenshot('audit-timeline');
    t.panel.dispose();
  });

  it('tells apart two policies governing a server of one name as one role: each offered, each with its own log', async () => {
    const a = await api();
    const root = vscode.extensions.getExtension('mandate-dev.mandate')!.extensionPath;
    const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
    // same server name, same role, same log: the second used to replace the first (one label), and both would write one file
    const policy = ['version: 1', 'roles: { dupe: { description: Reads. } }', 'grants: [{ agent_role: dupe, tools: [read_graph] }]',
      `servers: { notes: { command: [node, ${JSON.stringify(server)}] } }`, 'audit: { path: .mandate/dup-audit.jsonl }', ''].join('\n');
    const files = ['dup-a.mandate.yaml', 'dup-b.mandate.yaml'].map((f) => join(ws(), f));
    files.forEach((f) => { writeFileSync(f, policy); });
    try {
      const defs = await a.guarded.provideMcpServerDefinitions();
      const labels = defs.map((d) => d.label);
      assert.equal(new Set(labels).size, labels.length, `labels are unique: ${JSON.stringify(labels)}`);
      const dupes = [...a.guarded.offered.values()].filter((g) => g.server === 'notes' && g.role === 'dupe');
      assert.deepEqual(dupes.map((g) => g.policy).sort(), files);
      assert.deepEqual(dupes.map((g) => g.label).sort(), ['notes (guarded: dupe) — dup-a.mandate.yaml', 'notes (guarded: dupe) — dup-b.mandate.yaml']);
      assert.notEqual(dupes[0]!.audit, dupes[1]!.audit, 'one writer per log');
      assert.ok(a.guarded.offered.has(LABEL), 'labels that do not collide stay as they were');
    } finally {
      files.forEach((f) => { rmSync(f, { force: true }); });
      await a.guarded.provideMcpServerDefinitions();
    }
  });

  it('reads .vscode/mcp.json variables as VS Code does, and does not guard a server that needs ${input:…} (only VS Code can ask for it)', async () => {
    const a = await api();
    const file = join(ws(), '.vscode', 'mcp.json');
    const original = readFileSync(file, 'utf8');
    const config = vscode.workspace.getConfiguration('mandate');
    const chosen = config.get<Record<string, unknown>>('guard.mcpJson', {});
    const warned: string[] = [];
    const warn = a.ui.log.warn.bind(a.ui.log);
    a.ui.log.warn = (m: string) => { warned.push(m); warn(m); };
    try {
      const root = vscode.extensions.getExtension('mandate-dev.mandate')!.extensionPath;
      const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
      const mcp = JSON.parse(original.replace(/^\s*\/\/.*$/gm, '')) as { servers: Record<string, unknown> };
      mcp.servers['home-memory'] = { command: 'node', args: [server, '${userHome}${/}x'], env: { MEMORY_FILE_PATH: '${workspaceFolder}/home.jsonl' } };
      mcp.servers['asks-memory'] = { command: 'node', args: [server], env: { API_KEY: '${input:api_key}' } };
      // an HTTP server's headers are not passed on through the proxy: what they ask for does not stop it being guarded
      (mcp.servers['docs-http'] as { headers?: unknown }).headers = { Authorization: 'Bearer ${input:docs_token}' };
      writeFileSync(file, JSON.stringify(mcp, null, 2));
      await config.update('guard.mcpJson', { ...chosen, 'home-memory': { policy: 'guarded.mandate.yaml', role: 'searcher' }, 'asks-memory': { policy: 'guarded.mandate.yaml', role: 'searcher' } }, vscode.ConfigurationTarget.Workspace);
      const defs = await a.guarded.provideMcpServerDefinitions();
      const home = defs.find((d) => d.label === 'home-memory (guarded: searcher)');
      assert.ok(home, JSON.stringify(defs.map((d) => d.label)));
      assert.equal(home.args.at(-1), join(homedir(), 'x'));
      assert.equal(defs.some((d) => d.label.startsWith('asks-memory')), false, 'never run with the text ${input:api_key}');
      assert.ok(warned.some((m) => /not guarding `asks-memory` of \.vscode\/mcp\.json: it uses `\$\{input:api_key\}`, which only VS Code can resolve/.test(m)), JSON.stringify(warned));
      assert.ok(defs.some((d) => d.label === 'docs-http (guarded: searcher)'), JSON.stringify(defs.map((d) => d.label)));
    } finally {
      a.ui.log.warn = warn;
      writeFileSync(file, original);
      await config.update('guard.mcpJson', chosen, vscode.ConfigurationTarget.Workspace);
      await a.guarded.provideMcpServerDefinitions();
    }
  });

  it('follows edits of .vscode/mcp.json: a chosen server renamed there is no longer offered, and is again once restored', async () => {
    const a = await api();
    const file = join(ws(), '.vscode', 'mcp.json');
    const original = readFileSync(file, 'utf8');
    const NOTES = 'notes-memory (guarded: searcher)';
    assert.ok(a.guarded.offered.has(NOTES));
    // no call to provideMcpServerDefinitions here: the provider must notice the file itself (it noticed only policies and settings)
    const provided = (want: (labels: string[]) => boolean): Promise<void> => new Promise((resolve) => {
      const sub = a.guarded.onDidProvide((labels) => { if (want(labels)) { sub.dispose(); resolve(); } });
    });
    try {
      const gone = provided((labels) => !labels.includes(NOTES));
      writeFileSync(file, original.replace('"notes-memory"', '"notes-memory-renamed"'));
      await gone;
      assert.ok(!a.guarded.offered.has(NOTES));
      assert.ok(a.guarded.offered.has(LABEL), 'the policy\'s own servers stay');
    } finally {
      const back = provided((labels) => labels.includes(NOTES));
      writeFileSync(file, original);
      await back;
    }
  });
});
