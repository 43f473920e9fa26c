// Lists a stdio MCP server's tools: spawn it, `initialize`, `notifications/initialized`, `tools/list`,
// then end it. A minimal newline-delimited JSON-RPC client (the editor never imports the MCP SDK).

import { spawn } from 'node:child_process';
import type { ToolInfo } from '../../policies';

const MAX_OUTPUT = 16 * 1024 * 1024;

/** The server's tools; rejects with a one-line reason on failure or after `timeoutMs`. */
export function listTools(command: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ToolInfo[]> {
  const [cmd, ...args] = command;
  if (!cmd) return Promise.reject(new Error('the server command is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const finish = (e: Error | undefined, tools?: ToolInfo[]): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // INVARIANT: the server process never outlives the listing
      child.stdin.end();
      child.kill('SIGTERM');
      if (e) reject(e); else resolve(tools ?? []);
    };
    const timer = setTimeout(() => finish(new Error(`the server did not answer tools/list within ${opts.timeoutMs ?? 15000} ms`)), opts.timeoutMs ?? 15000);
    const send = (m: object): void => { child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`); };
    child.on('error', (e) => finish(new Error(`cannot start \`${cmd}\`: ${e.message}`)));
    child.on('exit', (code) => finish(new Error(`the server exited with ${code} before listing its tools${err ? `: ${err.trim().split('\n').pop()}` : ''}`)));
    // decoded by the streams, so a character split between two chunks stays whole
    child.stderr.setEncoding('utf8');
    child.stdout.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { err = (err + d).slice(-2000); });
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.length > MAX_OUTPUT) { finish(new Error('the server sent more than 16 MiB')); return; }
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        let msg: { id?: unknown; result?: { tools?: unknown }; error?: { message?: string }; method?: string };
        try { msg = JSON.parse(line) as typeof msg; } catch { continue; }
        if (msg.method !== undefined && msg.id !== undefined) send({ id: msg.id, error: { code: -32601, message: 'not supported' } });
        else if (msg.id === 1) {
          if (msg.error) { finish(new Error(`initialize failed: ${msg.error.message ?? ''}`)); return; }
          send({ method: 'notifications/initialized' });
          send({ id: 2, method: 'tools/list', params: {} });
        } else if (msg.id === 2) {
          if (msg.error || !Array.isArray(msg.result?.tools)) { finish(new Error(`tools/list failed: ${msg.error?.message ?? 'no tools array'}`)); return; }
          finish(undefined, (msg.result.tools as ToolInfo[]).filter((t) => t && typeof t.name === 'string'));
        }
      }
    });
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mandate-vscode', version: '0.1.0' } } });
  });
}
