// The proxy in front of real published MCP servers (filesystem, memory, everything), driven by the
// SDK Client and by the published MCP Inspector CLI.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bin, connectProxy, records, ROOT, tempDir, textOf } from './support';

const run = promisify(execFile);
const PROXY = join(ROOT, 'dist/proxy.js');

function fsPolicy(dir: string): string {
  const file = join(dir, 'fs.mandate.yaml');
  writeFileSync(file, [
    'version: 1',
    'roles: { reader: { description: Reads the docs folder only., read_only: true } }',
    `scopes: { in_docs: { args: { path: { within: [${join(dir, 'docs')}] } } } }`,
    'grants:',
    '  - { agent_role: reader, tools: [read_text_file, list_directory], scope: [in_docs] }',
    '',
  ].join('\n'));
  return file;
}

/** Run the Inspector CLI against the proxy; resolves to its exit code and output. */
async function inspector(dir: string, policy: string, role: string, tool: string, args: string[], server: string[]): Promise<{ code: number; out: string }> {
  const argv = ['--cli', '--format', 'json', '-q', '--tool-name', tool, ...args.flatMap((a) => ['--tool-arg', a]), '--method', 'tools/call',
    process.execPath, PROXY, '--policy', policy, '--role', role, '--audit', join(dir, 'inspector-audit.jsonl'), '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), '--', ...server];
  try {
    const r = await run(bin('mcp-inspector'), argv, { cwd: dir, env: { ...process.env, HOME: dir } });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    return { code: x.code, out: x.stdout };
  }
}

describe('e2e proxy: real MCP servers', function () {
  this.timeout(180_000);

  it('filesystem (SDK Client): reads inside the folder, denies write_file (no file appears) and traversal', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'a.txt'), 'hello docs');
    writeFileSync(join(dir, 'secret.txt'), 'top secret');
    const g = await connectProxy({ dir, policy: fsPolicy(dir), proxyArgs: ['--role', 'reader'], server: [bin('mcp-server-filesystem'), dir] });
    try {
      const names = (await g.client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['list_directory', 'read_text_file']);
      assert.equal(textOf(await g.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'docs', 'a.txt') } })), 'hello docs');
      const w = await g.client.callTool({ name: 'write_file', arguments: { path: join(dir, 'docs', 'evil.txt'), content: 'x' } });
      assert.equal(w.isError, true);
      assert.equal(existsSync(join(dir, 'docs', 'evil.txt')), false);
      const t = await g.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'docs', '..', 'secret.txt') } });
      assert.equal(t.isError, true);
      assert.doesNotMatch(textOf(t), /top secret/);
      assert.match(textOf(t), /is not within/);
    } finally {
      await g.close();
    }
    const effects = records(join(dir, 'audit.jsonl')).filter((r) => r.kind === 'decision').map((r) => `${r.tool}:${r.decision!.effect}`);
    assert.deepEqual(effects, ['read_text_file:allow', 'write_file:deny', 'read_text_file:deny']);
  });

  it('filesystem (Inspector CLI): a read works (exit 0); write_file is never called (exit 5, no file)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'a.txt'), 'hello inspector');
    const policy = fsPolicy(dir);
    const server = [bin('mcp-server-filesystem'), dir];
    const ok = await inspector(dir, policy, 'reader', 'read_text_file', [`path=${join(dir, 'docs', 'a.txt')}`], server);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /hello inspector/);
    const bad = await inspector(dir, policy, 'reader', 'write_file', [`path=${join(dir, 'docs', 'w.txt')}`, 'content=x'], server);
    assert.equal(bad.code, 5, bad.out);
    assert.equal(existsSync(join(dir, 'docs', 'w.txt')), false);
    const trav = await inspector(dir, policy, 'reader', 'read_text_file', [`path=${join(dir, 'docs', '..', 'fs.mandate.yaml')}`], server);
    assert.equal(trav.code, 5, trav.out);
    assert.match(trav.out, /mandate denied/);
  });

  it('memory (SDK Client): delete_* is denied by rule and the entity survives', async () => {
    const dir = tempDir();
    const policy = join(dir, 'mem.mandate.yaml');
    writeFileSync(policy, [
      'version: 1',
      'roles: { curator: { description: Adds knowledge; never deletes it. } }',
      'grants: [{ agent_role: curator, tools: [read_graph, search_nodes, open_nodes, create_entities, add_observations, "delete_*"] }]',
      'deny: [{ id: no-forgetting, tools: ["delete_*"], reason: Deleting memories needs a person. }]',
      '',
    ].join('\n'));
    const g = await connectProxy({ dir, policy, proxyArgs: ['--role', 'curator'], server: [bin('mcp-server-memory')], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } });
    try {
      const names = (await g.client.listTools()).tools.map((t) => t.name);
      assert.equal(names.some((n) => n.startsWith('delete_')), false);
      await g.client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'mandate', entityType: 'project', observations: ['guards MCP'] }] } });
      const d = await g.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['mandate'] } });
      assert.equal(d.isError, true);
      assert.match(textOf(d), /no-forgetting/);
      assert.match(textOf(await g.client.callTool({ name: 'read_graph', arguments: {} })), /guards MCP/);
    } finally {
      await g.close();
    }
  });

  it('everything (SDK Client and Inspector): the environment-leaking read-only tool is denied by policy', async () => {
    const dir = tempDir();
    const policy = join(dir, 'ev.mandate.yaml');
    writeFileSync(policy, [
      'version: 1',
      'roles: { helper: { description: Echoes and adds. } }',
      'grants: [{ agent_role: helper, tools: ["*"] }]',
      'deny: [{ id: no-env, tools: [get-env], reason: It returns the whole environment including secrets. }]',
      '',
    ].join('\n'));
    const server = [bin('mcp-server-everything'), 'stdio'];
    const g = await connectProxy({ dir, policy, proxyArgs: ['--role', 'helper'], server, env: { MANDATE_TEST_SECRET: 's3cr3t' } });
    try {
      assert.match(textOf(await g.client.callTool({ name: 'echo', arguments: { message: 'hi' } })), /hi/);
      const r = await g.client.callTool({ name: 'get-env', arguments: {} });
      assert.equal(r.isError, true);
      assert.doesNotMatch(JSON.stringify(r), /s3cr3t/);
    } finally {
      await g.close();
    }
    const viaInspector = await inspector(dir, policy, 'helper', 'get-env', [], server);
    assert.equal(viaInspector.code, 5, viaInspector.out);
  });

  it('everything (SDK Client): resources and prompts are listed and read only as granted', async () => {
    const dir = tempDir();
    const policy = join(dir, 'res.mandate.yaml');
    writeFileSync(policy, [
      'version: 1',
      'roles: { reader: { description: Reads the architecture document only. } }',
      'grants: [{ agent_role: reader, tools: [echo] }]',
      'resources: [{ agent_role: reader, uris: ["demo://resource/static/document/architecture.md"] }]',
      'prompts: [{ agent_role: reader, prompts: [simple-prompt] }]',
      '',
    ].join('\n'));
    const g = await connectProxy({ dir, policy, proxyArgs: ['--role', 'reader'], server: [bin('mcp-server-everything'), 'stdio'] });
    try {
      const { resources } = await g.client.listResources();
      assert.deepEqual(resources.map((r) => r.uri), ['demo://resource/static/document/architecture.md']);
      const { prompts } = await g.client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name), ['simple-prompt']);
      const read = await g.client.readResource({ uri: 'demo://resource/static/document/architecture.md' });
      assert.ok(read.contents.length > 0);
      await assert.rejects(g.client.readResource({ uri: 'demo://resource/static/document/features.md' }), /denied|not granted|resource/i);
      await assert.rejects(g.client.getPrompt({ name: 'args-prompt', arguments: { city: 'x' } }), /denied|not granted|prompt/i);
    } finally {
      await g.close();
    }
  });
});
