// Where the proxy writes its log when the policy names it (`audit.path`) and no --audit is given.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { emptyRevocations, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { httpProxy, stop } from '../http/support';
import { CLI, FIXTURES, tempDir } from './support';

function policyLoggingTo(dir: string, log: string): string {
  const policy = join(dir, 'p.mandate.yaml');
  writeFileSync(policy, `version: 1\nroles:\n  r: { description: Reads. }\ngrants:\n  - { agent_role: r, tool: echo }\naudit: { path: ${JSON.stringify(log)} }\n`);
  return policy;
}

describe('e2e proxy: the policy\'s audit.path', function () {
  this.timeout(60_000);

  it('an absolute audit.path is that file, wherever the proxy runs (it was written under the working folder: /cwd/abs/path)', async () => {
    const dir = tempDir();
    const log = join(dir, 'logs', 'audit.jsonl');
    const policy = policyLoggingTo(dir, log);
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const transport = new StdioClientTransport({
      command: process.execPath, cwd: elsewhere, stderr: 'pipe', env: { ...process.env as Record<string, string>, MANDATE_RUNTIME_DIR: join(dir, 'run') },
      args: [CLI, 'proxy', '--policy', policy, '--role', 'r', '--pins-dir', join(dir, 'pins'), '--', process.execPath, join(FIXTURES, 'echo-exact-args.mjs')],
    });
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(transport);
    await client.close();
    assert.ok(existsSync(log), `the log is at ${log}`);
    assert.equal(existsSync(join(elsewhere, dir)), false, 'nothing under the working folder');
  });

  it('the HTTP proxy too', async () => {
    const dir = tempDir();
    const log = join(dir, 'logs', 'http.jsonl');
    const policy = policyLoggingTo(dir, log);
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [await newSigningKey('ES256', Date.now())]);
    emptyRevocations(kp.revocations);
    const proxy = await httpProxy(['--policy', policy, '--jwks', kp.publicJwks, '--pins-dir', join(dir, 'pins'), '--', process.execPath, join(FIXTURES, 'echo-exact-args.mjs')], elsewhere, { MANDATE_RUNTIME_DIR: join(dir, 'run') });
    try {
      assert.ok(existsSync(log), `the log is at ${log}`);
      assert.equal(existsSync(join(elsewhere, dir)), false, 'nothing under the working folder');
    } finally {
      await stop(proxy);
    }
  });
});
