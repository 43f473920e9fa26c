// A raw JSON-RPC driver for the built proxy: exact bytes in, parsed replies out, by id.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CLI, tempDir } from './support';

export interface Raw {
  proc: ChildProcess;
  dir: string;
  audit: string;
  /** send raw text (a newline is not added) */
  write: (text: string) => void;
  /** send a message as a line */
  send: (msg: unknown) => void;
  /** the next reply with this id */
  reply: (id: unknown) => Promise<Record<string, unknown>>;
  /** resolves when stderr has matched `re` */
  stderrMatch: (re: RegExp) => Promise<string>;
  /** initialize + initialized */
  handshake: () => Promise<void>;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Kill every proxy this file spawned that is still running (a failed test must not leave one behind). */
export function killAll(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

/** Spawn `mandate proxy` with pipes. */
export function rawProxy(policy: string, proxyArgs: string[], server: string[], opts: { dir?: string; env?: Record<string, string>; audit?: string } = {}): Raw {
  const dir = opts.dir ?? tempDir();
  const audit = opts.audit ?? join(dir, 'audit.jsonl');
  const args = [CLI, 'proxy', '--policy', policy, '--audit', audit, '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), ...proxyArgs, '--', ...server];
  const proc = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  const replies: Array<Record<string, unknown>> = [];
  const waiting: Array<{ id: unknown; resolve: (m: Record<string, unknown>) => void }> = [];
  let buf = '';
  let err = '';
  const errWaiters: Array<{ re: RegExp; resolve: (s: string) => void }> = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (c: string) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      const w = waiting.findIndex((x) => x.id === msg['id']);
      if (w >= 0) waiting.splice(w, 1)[0]!.resolve(msg);
      else replies.push(msg);
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => {
    err += c;
    for (const w of [...errWaiters]) {
      const m = w.re.exec(err);
      if (m) {
        errWaiters.splice(errWaiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const r: Raw = {
    proc, dir, audit, exited,
    write: (text) => proc.stdin.write(text),
    send: (msg) => proc.stdin.write(`${JSON.stringify(msg)}\n`),
    reply: (id) => new Promise((resolve) => {
      const i = replies.findIndex((m) => m['id'] === id);
      if (i >= 0) resolve(replies.splice(i, 1)[0]!);
      else waiting.push({ id, resolve });
    }),
    stderrMatch: (re) => new Promise((resolve) => {
      const m = re.exec(err);
      if (m) resolve(m[0]);
      else errWaiters.push({ re, resolve });
    }),
    handshake: async () => {
      r.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
      await r.reply('init');
      r.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
  };
  return r;
}

/** `tools/call` request. */
export const call = (id: number | string, name: string, args?: unknown): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, ...(args !== undefined ? { arguments: args } : {}) } });
