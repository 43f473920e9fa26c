// "Mandate: New Policy from MCP Server" lists a real server's tools and writes a least-privilege policy.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parsePolicy } from '../../../policies';
import { api, workspaceDir } from './helpers';

describe('new policy from an MCP server', () => {
  it('writes a starter policy: reads to the reader, deletions behind approval, no wildcards', async () => {
    await api();
    const root = vscode.extensions.getExtension('mandate-dev.mandate')!.extensionPath;
    const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('mandate.newPolicyFromServer', {
      name: 'mem', command: [process.execPath, server], env: { MEMORY_FILE_PATH: join(workspaceDir(), 'starter-memory.jsonl') }, quiet: true,
    });
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const r = parsePolicy(text, 'mem.mandate.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.findings));
    const grants = r.parsed.policy.grants!;
    assert.deepEqual(grants.find((g) => g.agent_role === 'mem_reader')!.tools, ['open_nodes', 'read_graph', 'search_nodes']);
    const risky = grants.find((g) => g.requires_approval)!;
    assert.deepEqual(risky.tools, ['delete_entities', 'delete_observations', 'delete_relations']);
    assert.ok(!text.includes('*'), 'no wildcards');
    assert.ok(r.parsed.policy.tests!.length >= 3, 'with tests that pass on it');
  });

  it('writes one for a Streamable HTTP server of .vscode/mcp.json too, listed at its URL (no SDK in the editor), and the policy names the URL', async () => {
    await api();
    // the runner serves server-everything over HTTP and lists it in .vscode/mcp.json as `docs-http`
    const mcpJson = JSON.parse(readFileSync(join(workspaceDir(), '.vscode', 'mcp.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { servers: Record<string, { url?: string }> };
    const url = mcpJson.servers['docs-http']!.url!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('mandate.newPolicyFromServer', { name: 'everything-starter', url, quiet: true });
    assert.ok(uri, 'a policy was written');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const r = parsePolicy(text, 'everything-starter.mandate.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.findings));
    assert.deepEqual(r.parsed.policy.servers!['everything-starter'], { url, tools_manifest: 'everything-starter.tools.json' });
    const manifest = JSON.parse(readFileSync(join(workspaceDir(), 'everything-starter.tools.json'), 'utf8')) as { tools: Array<{ name: string }> };
    assert.ok(manifest.tools.some((t) => t.name === 'echo') && manifest.tools.some((t) => t.name === 'get-env'), JSON.stringify(manifest.tools.map((t) => t.name)));
    assert.ok(r.parsed.policy.grants!.some((g) => g.agent_role === 'everything_starter_reader' && g.tools?.includes('get-env')), 'get-env is annotated read-only');
  });

  it('overwrites nothing: the workspace\'s memory.tools.json (which notes.mandate.yaml uses) stays as it was', async () => {
    const manifest = join(workspaceDir(), 'memory.tools.json');
    const before = readFileSync(manifest, 'utf8');
    const root = vscode.extensions.getExtension('mandate-dev.mandate')!.extensionPath;
    const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('mandate.newPolicyFromServer', {
      name: 'memory', command: [process.execPath, server], env: { MEMORY_FILE_PATH: join(workspaceDir(), 'starter-memory.jsonl') }, quiet: true,
    });
    assert.equal(uri, undefined);
    assert.equal(readFileSync(manifest, 'utf8'), before);
    assert.equal(existsSync(join(workspaceDir(), 'memory.mandate.yaml')), false);
  });
});
