// Shared e2e helpers: a temp folder, the built proxy driven by the SDK Client, audit log reading.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { join, resolve } from 'node:path';
import { tempDir as tempDirIn } from '../../support/tmp';

export const ROOT = resolve(__dirname, '../../..');
export const CLI = join(ROOT, 'dist/cli.js');
export const FIXTURES = join(ROOT, 'test/fixtures/servers');
export const bin = (name: string): string => join(ROOT, 'node_modules/.bin', name);

/** A fresh temp folder (removed when the test process exits). */
export function tempDir(prefix = 'mandate-e2e-'): string {
  return tempDirIn(prefix);
}

export interface Guarded {
  client: Client;
  transport: StdioClientTransport;
  audit: string;
  dir: string;
  stderr: () => string;
  close: () => Promise<void>;
}

/** Start `mandate proxy` (built CLI) around a server command and connect the SDK Client to it. */
export async function connectProxy(opts: { policy: string; proxyArgs: string[]; server: string[]; dir?: string; env?: Record<string, string>; capabilities?: Record<string, unknown> }): Promise<Guarded> {
  const dir = opts.dir ?? tempDir();
  const audit = join(dir, 'audit.jsonl');
  const args = [CLI, 'proxy', '--policy', opts.policy, '--audit', audit, '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), ...opts.proxyArgs, '--', ...opts.server];
  const transport = new StdioClientTransport({ command: process.execPath, args, env: { ...process.env as Record<string, string>, ...opts.env }, stderr: 'pipe', cwd: dir });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  const client = new Client({ name: 'e2e-client', version: '1.2.3' }, { capabilities: opts.capabilities ?? {} });
  await client.connect(transport);
  return { client, transport, audit, dir, stderr: () => err, close: () => client.close() };
}

export { records, recordsWhen } from '../../support/audit';

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const c = (result as { content?: Array<{ text?: string }> }).content;
  return c?.[0]?.text ?? '';
}

/** Resolves with the next approval id the proxy announces on stderr. */
export function nextApproval(g: Guarded): Promise<string> {
  return new Promise((resolve) => {
    const seen = g.stderr().match(/approval (\S+) needed/g)?.length ?? 0;
    const onData = (): void => {
      const all = [...g.stderr().matchAll(/approval (\S+) needed/g)];
      if (all.length > seen) {
        g.transport.stderr?.off('data', onData);
        resolve(all[all.length - 1]![1]!);
      }
    };
    g.transport.stderr?.on('data', onData);
  });
}
