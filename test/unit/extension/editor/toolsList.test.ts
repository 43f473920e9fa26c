// The editor's minimal tools/list client: a character whose UTF-8 bytes arrive in two pipe chunks is read whole.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listTools } from '../../../../extension/editor/toolsList';
import { tempDir } from '../../../support/tmp';

const SERVER = `
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  let nl;
  while ((nl = buf.indexOf('\\n')) !== -1) {
    const m = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (m.method === 'initialize') process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } } }) + '\\n');
    if (m.method === 'tools/list') {
      const line = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'lire', description: 'Lit un café ☕', inputSchema: { type: 'object' } }] } }) + '\\n');
      const cut = line.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
      process.stdout.write(line.subarray(0, cut));
      setTimeout(() => process.stdout.write(line.subarray(cut)), 100);
    }
  }
});
`;

describe('editor listTools', () => {
  it('reads a tool description whose characters are split between two chunks', async () => {
    const file = join(tempDir('mandate-toolslist-'), 'server.js');
    writeFileSync(file, SERVER);
    const tools = await listTools([process.execPath, file], { timeoutMs: 10_000 });
    assert.deepEqual(tools.map((t) => t.description), ['Lit un café ☕']);
  });

  const PAGED = resolve(__dirname, '../../../fixtures/servers/paged-tools.mjs');
  it('follows the pages of a tool list (it read the first page only)', async () => {
    const tools = await listTools([process.execPath, PAGED], { env: { PAGES: 'three' }, timeoutMs: 10_000 });
    assert.deepEqual(tools.map((t) => t.name), ['page_0', 'page_1', 'page_2']);
  });

  it('refuses a list whose pages go round, or never end', async () => {
    await assert.rejects(listTools([process.execPath, PAGED], { env: { PAGES: 'loop' }, timeoutMs: 10_000 }), /pages go round: it sent the cursor `again` twice/);
    await assert.rejects(listTools([process.execPath, PAGED], { env: { PAGES: 'endless' }, timeoutMs: 10_000 }), /did not end within 1000 pages/);
  });
});
