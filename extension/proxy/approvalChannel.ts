// The approval channel: a Unix socket per session, guarded by a per-session secret, through which
// the editor extension or `mandate approve|refuse` answers pending approvals (approvalProtocol.ts).

import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { alive, isClientMessage, isProxyMessage, isSessionInfo, MAX_LINE, sessionOfApproval, untrustedPath, type ProxyMessage, type SessionInfo } from './approvalProtocol';
import type { ApprovalBroker } from './approvals';
import { randomHex, sameSecret } from './hash';
import { makeDirs } from './makeDirs';

/** The folder holding session files and sockets: $MANDATE_RUNTIME_DIR, else `<tmpdir>/mandate-<uid>`. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['MANDATE_RUNTIME_DIR'] || join(tmpdir(), `mandate-${userInfo().uid}`);
}

/**
 * Remove the session files (and sockets) of proxies that are gone: one killed (SIGKILL, a crash, a machine reset)
 * cannot remove its own, and they piled up in the runtime folder (90 pairs on a development machine). Only a file
 * that is a session record naming a process that no longer exists is removed; anything else is left alone.
 */
function sweepStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(dir, name);
    let info: unknown;
    try {
      info = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (!isSessionInfo(info) || info.session !== name.slice(0, -5) || alive(info.pid)) continue;
    rmSync(join(dir, `${info.session}.sock`), { force: true });
    rmSync(file, { force: true });
  }
}

/** Split a byte stream into lines, bounded; an oversized line ends the connection. */
function lines(sock: Socket, onLine: (line: string) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
    if (buf.length > MAX_LINE) sock.destroy();
  });
}

function send(sock: Socket, msg: ProxyMessage): void {
  if (!sock.destroyed) sock.write(`${JSON.stringify(msg)}\n`);
}

/** A running channel: its session file and socket are removed by close(). */
export interface ApprovalChannel {
  info: SessionInfo;
  close(): void;
}

/** Open the channel for a session and write its session file. */
export async function openApprovalChannel(broker: ApprovalBroker, meta: { server: string; principal: string; dir: string }): Promise<ApprovalChannel> {
  makeDirs(meta.dir, 0o700);
  const foreign = untrustedPath(meta.dir, 'dir', false); // the mode is ours to fix, the owner is not
  if (foreign !== undefined) throw new Error(foreign);
  chmodSync(meta.dir, 0o700);
  sweepStale(meta.dir);
  const socket = join(meta.dir, `${broker.session}.sock`);
  const file = join(meta.dir, `${broker.session}.json`);
  const info: SessionInfo = {
    session: broker.session, socket, secret: randomHex(24), pid: process.pid,
    server: meta.server, principal: meta.principal, started: new Date().toISOString(),
  };
  const clients = new Set<Socket>();
  const server: Server = createServer((sock) => serve(sock, broker, info, clients));
  rmSync(socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  chmodSync(socket, 0o600);
  server.unref();
  writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  const unsubscribe = broker.subscribe((e) => {
    if (e.type === 'late') return; // the answerer was told in reply; the record is the session's
    for (const c of clients) send(c, e.type === 'asked' ? { type: 'asked', approval: e.approval } : { type: 'settled', id: e.id, state: e.state });
  });
  return {
    info,
    close() {
      unsubscribe();
      for (const c of clients) c.destroy();
      server.close();
      rmSync(socket, { force: true });
      rmSync(file, { force: true });
    },
  };
}

/** How long a connection may take to show the session secret. */
const HELLO_MS = 10_000;

function serve(sock: Socket, broker: ApprovalBroker, info: SessionInfo, clients: Set<Socket>): void {
  let authed = false;
  let refused = false;
  let who: string | undefined;
  const hello = setTimeout(() => sock.destroy(), HELLO_MS);
  hello.unref();
  sock.on('error', () => sock.destroy());
  sock.on('close', () => {
    clearTimeout(hello);
    clients.delete(sock);
  });
  // INVARIANT: one guess per connection — after a wrong or missing secret nothing more is read from it,
  // not even the lines that came in the same chunk
  const refuse = (message: string): void => {
    refused = true;
    send(sock, { type: 'error', message });
    sock.end();
  };
  lines(sock, (line) => {
    if (refused) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = undefined;
    }
    if (!isClientMessage(msg)) {
      if (!authed) return refuse('not an approval channel message');
      return send(sock, { type: 'error', message: 'not an approval channel message' });
    }
    if (!authed) {
      // INVARIANT: nothing is listed or answered before the session secret is shown.
      if (msg.type !== 'hello' || !sameSecret(msg.secret, info.secret)) return refuse('wrong or missing secret');
      authed = true;
      clearTimeout(hello);
      who = msg.who;
      clients.add(sock);
      send(sock, { type: 'welcome', session: info.session, server: info.server, principal: info.principal });
      send(sock, { type: 'pending', approvals: broker.pending() });
      return;
    }
    if (msg.type === 'list') send(sock, { type: 'pending', approvals: broker.pending() });
    else if (msg.type === 'answer') {
      const via = who === 'editor' ? 'editor' : 'terminal';
      const r = broker.answer(msg.id, msg.verdict, via, msg.by ?? who);
      send(sock, { type: 'answered', id: msg.id, ok: r.ok, message: r.message });
    }
  });
}

/** Read a session's file by id from the runtime folder. */
export function readSession(dir: string, session: string): SessionInfo {
  const untrusted = untrustedPath(dir, 'dir') ?? untrustedPath(join(dir, `${session}.json`), 'file');
  if (untrusted !== undefined && existsSync(join(dir, `${session}.json`))) throw new Error(`not trusting the session file: ${untrusted}`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(join(dir, `${session}.json`), 'utf8'));
  } catch {
    throw new Error(`no running proxy session \`${session}\` in \`${dir}\``);
  }
  if (!isSessionInfo(v)) throw new Error(`\`${join(dir, `${session}.json`)}\` is not a mandate session file`);
  return v;
}

/** Answer an approval through its session's channel (what `mandate approve|refuse` does). */
export async function answerApproval(dir: string, id: string, verdict: 'approve' | 'refuse', by: string): Promise<{ ok: boolean; message: string }> {
  const session = sessionOfApproval(id);
  if (!session) throw new Error(`\`${id}\` is not an approval id (expected <session>-<n>)`);
  const info = readSession(dir, session);
  return new Promise((resolve, reject) => {
    const sock = createConnection(info.socket);
    sock.on('error', (err) => reject(new Error(`cannot reach proxy session \`${session}\`: ${err.message}`)));
    sock.on('close', () => reject(new Error(`proxy session \`${session}\` closed the channel`)));
    sock.on('connect', () => {
      sock.write(`${JSON.stringify({ type: 'hello', secret: info.secret, who: 'terminal' })}\n`);
      sock.write(`${JSON.stringify({ type: 'answer', id, verdict, by })}\n`);
    });
    lines(sock, (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (!isProxyMessage(msg)) return;
      if (msg.type === 'error') {
        sock.destroy();
        reject(new Error(msg.message));
      } else if (msg.type === 'answered' && msg.id === id) {
        sock.end();
        resolve({ ok: msg.ok, message: msg.message });
      }
    });
  });
}
