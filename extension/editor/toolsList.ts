// Lists a stdio MCP server's tools: spawn it, `initialize`, `notifications/initialized`, `tools/list` (every
// page), then end it. A minimal newline-delimited JSON-RPC client (the editor never imports the MCP SDK).

import { spawn } from 'node:child_process';
import { ToolPages, type ToolInfo } from '../../policies';

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
    // the tools/list pages: request ids 2, 3, … (1 is initialize)
    const tools: ToolInfo[] = [];
    const pages = new ToolPages();
    let page = 1;
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
        let msg: { id?: unknown; result?: { tools?: unknown; nextCursor?: unknown }; error?: { message?: string }; method?: string };
        try { msg = JSON.parse(line) as typeof msg; } catch { continue; }
        if (msg.method !== undefined && msg.id !== undefined) send({ id: msg.id, error: { code: -32601, message: 'not supported' } });
        else if (msg.id === 1) {
          if (msg.error) { finish(new Error(`initialize failed: ${msg.error.message ?? ''}`)); return; }
          send({ method: 'notifications/initialized' });
          send({ id: ++page, method: 'tools/list', params: {} });
        } else if (msg.id === page && page > 1) {
          if (msg.error || !Array.isArray(msg.result?.tools)) { finish(new Error(`tools/list failed: ${msg.error?.message ?? 'no tools array'}`)); return; }
          tools.push(...(msg.result.tools as ToolInfo[]).filter((t) => t && typeof t.name === 'string'));
          let cursor: string | undefined;
          try {
            cursor = pages.next(msg.result.nextCursor, tools.length);
          } catch (e) {
            finish(e as Error);
            return;
          }
          if (cursor === undefined) finish(undefined, tools);
          else send({ id: ++page, method: 'tools/list', params: { cursor } });
        }
      }
    });
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mandate-vscode', version: '0.1.0' } } });
  });
}

/**
 * Lists a Streamable HTTP MCP server's tools: `initialize`, `notifications/initialized`, `tools/list` (every
 * page), then the session is ended (DELETE). Answers may come as JSON or as an event stream; each is read only
 * until the awaited answer (and at most 16 MiB). Rejects with a one-line reason on failure or after `timeoutMs`.
 */
export async function listToolsHttp(url: URL, opts: { timeoutMs?: number } = {}): Promise<ToolInfo[]> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let session: string | undefined;
  let version: string | undefined;
  let nextId = 1;
  const headers = (): Record<string, string> => ({
    'content-type': 'application/json', accept: 'application/json, text/event-stream',
    ...(session !== undefined ? { 'mcp-session-id': session } : {}), ...(version !== undefined ? { 'mcp-protocol-version': version } : {}),
  });
  /** Send one message; for a request, its answer. */
  const post = async (m: { method: string; params?: object }, request: boolean): Promise<{ result?: Record<string, unknown>; error?: { message?: string } } | undefined> => {
    const id = request ? nextId++ : undefined;
    const res = await fetch(url, { method: 'POST', headers: headers(), signal: abort.signal, redirect: 'error', body: JSON.stringify({ jsonrpc: '2.0', ...(id !== undefined ? { id } : {}), ...m }) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`${m.method}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    session ??= res.headers.get('mcp-session-id') ?? undefined;
    if (id === undefined) { await res.body?.cancel(); return undefined; }
    const answer = await answerFrom(res, id);
    if (answer === undefined) throw new Error(`${m.method}: the server closed the answer without one`);
    return answer;
  };
  try {
    const init = await post({ method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mandate-vscode', version: '0.1.0' } } }, true);
    if (init?.error || !init?.result) throw new Error(`initialize failed: ${init?.error?.message ?? 'no result'}`);
    version = typeof init.result['protocolVersion'] === 'string' ? init.result['protocolVersion'] : undefined;
    await post({ method: 'notifications/initialized' }, false);
    const tools: ToolInfo[] = [];
    const pages = new ToolPages();
    let cursor: string | undefined;
    do {
      const page = await post({ method: 'tools/list', params: cursor !== undefined ? { cursor } : {} }, true);
      const listed = page?.result?.['tools'];
      if (page?.error || !Array.isArray(listed)) throw new Error(`tools/list failed: ${page?.error?.message ?? 'no tools array'}`);
      tools.push(...(listed as ToolInfo[]).filter((t) => t && typeof t.name === 'string'));
      cursor = pages.next(page?.result?.['nextCursor'], tools.length);
    } while (cursor !== undefined);
    return tools;
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`the server did not answer tools/list within ${timeoutMs} ms`);
    throw new Error(err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err));
  } finally {
    clearTimeout(timer);
    // end the session the listing opened (a server that refuses DELETE keeps it until it expires)
    if (session !== undefined) await fetch(url, { method: 'DELETE', headers: headers(), signal: AbortSignal.timeout(2000) }).then((r) => r.body?.cancel(), () => undefined);
  }
}

type Answer = { id?: unknown; result?: Record<string, unknown>; error?: { message?: string } };

/** The answer with `id` in a JSON body (one message or a batch) or an event stream, read no further than needed. */
async function answerFrom(res: Response, id: number): Promise<Answer | undefined> {
  const pick = (v: unknown): Answer | undefined => (Array.isArray(v) ? v : [v]).find((m: Answer) => m && m.id === id) as Answer | undefined;
  const reader = res.body?.getReader();
  if (!reader) return undefined;
  const sse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value) text += decoder.decode(value, { stream: true });
      if (text.length > MAX_OUTPUT) throw new Error('the server sent more than 16 MiB');
      if (sse) {
        // events end at a blank line; an event's `data:` lines joined are one message
        const events = text.split(/\r?\n\r?\n/);
        text = done ? '' : events.pop()!;
        for (const e of done ? events.filter(Boolean) : events) {
          const data = e.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (data === '') continue;
          let found: Answer | undefined;
          try { found = pick(JSON.parse(data)); } catch { continue; }
          if (found) return found;
        }
      }
      if (done) return sse ? undefined : pick(JSON.parse(text));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
