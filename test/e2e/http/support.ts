// Real processes for the HTTP e2e tests: server-everything over Streamable HTTP, the mandate HTTP
// proxy, a header-recording forwarder; each waits on the process's own "listening" line.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLI, ROOT } from './cliProcess';

const BIN = join(ROOT, 'node_modules', '.bin');

/** A port that was free a moment ago (server-everything only takes PORT=N). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Proc { child: ChildProcess; output: () => string; exited: Promise<number | null> }

/** Spawn and wait until a line matches `ready` (or the process exits: then reject with its output). */
export function spawnUntil(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string }, ready: RegExp): Promise<Proc & { match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = ready.exec(out);
      if (m && !done) {
        done = true;
        resolve({ child, output: () => out, exited, match: m });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    void exited.then((code) => { if (!done) { done = true; reject(new Error(`${cmd} exited (${code}) before ready:\n${out}`)); } });
  });
}

/** server-everything in streamableHttp mode on `port` (else a free one); resolves with its /mcp URL. */
export async function everythingHttp(port?: number): Promise<Proc & { url: string }> {
  port ??= await freePort();
  const p = await spawnUntil(join(BIN, 'mcp-server-everything'), ['streamableHttp'], { env: { PORT: String(port) } }, /listening on port (\d+)/);
  return { ...p, url: `http://127.0.0.1:${port}/mcp` };
}

/** The mandate HTTP proxy (`dist/cli.js proxy --listen`); resolves with the resource URI it printed. */
export async function httpProxy(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Proc & { url: string }> {
  const p = await spawnUntil(process.execPath, [CLI, 'proxy', '--listen', '127.0.0.1:0', ...args], { cwd, env }, /listening on (\S+) /);
  return { ...p, url: p.match[1]! };
}

/** Stop a process with SIGTERM and wait for it to exit. */
export async function stop(p: Proc | undefined): Promise<number | null | undefined> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode;
  p.child.kill('SIGTERM');
  return p.exited;
}

/** An HTTP forwarder to `target` that records each request's Authorization header and body (a 502 when `target` is down). */
export async function recordingForwarder(target: string): Promise<{ server: Server; url: string; seen: Array<string | undefined>; bodies: string[] }> {
  const t = new URL(target);
  const seen: Array<string | undefined> = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString('utf8'); }).on('end', () => { if (body !== '') bodies.push(body); });
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen, bodies };
}

/** A raw HTTP request (any Host/Origin header, any body) → status, headers, body. */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
