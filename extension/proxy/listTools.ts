// listTools(): start a governed MCP server over stdio (or reach one over Streamable HTTP), ask `tools/list`,
// stop. Never calls a tool. Used by `mandate simulate --live` and `mandate init`; kept here because only
// extension/proxy/ may import the MCP SDK.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Writable } from 'node:stream';
import { ToolPages, type ToolAnnotations, type ToolInfo, type ToolManifest } from '../../policies';
import { bounded, StdioUpstream, type MessageBound } from './http/upstream';

export interface ListToolsOptions {
  /** extra environment for the server, over the SDK's safe default environment */
  env?: Record<string, string>;
  cwd?: string;
  /** give up after this many ms (default 15 s) */
  timeoutMs?: number;
}

/** Bound on listed tools, so a misbehaving server cannot flood the simulator. */
const MAX_TOOLS = 5000;

/** Fetch a server's tools (name, description, inputSchema, annotations) over stdio, following pagination. */
export async function listTools(command: readonly string[], options: ListToolsOptions = {}): Promise<ToolManifest> {
  if (command[0] === undefined) throw new TypeError('listTools needs a command');
  // the end of what the server wrote on stderr (bounded): a server that dies says why there, not over MCP
  let tail = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done): void {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL);
      done();
    },
  });
  // INVARIANT: a line from the server is read to at most MAX_ANSWER_BYTES (the proxy's own framing, as over HTTP);
  // a longer one ends the listing at once, saying so (a line that is no JSON is skipped, as the SDK's client does)
  let refuse: (err: Error) => void = () => undefined;
  const bad = new Promise<never>((_, reject) => { refuse = reject; });
  bad.catch(() => undefined);
  const transport = new StdioUpstream({
    kind: 'stdio', command: [...command], server: 'listing', env: { ...getDefaultEnvironment(), ...(options.env ?? {}) },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  }, stderr, MAX_ANSWER_BYTES);
  transport.onerror = (err) => { // (the SDK's client keeps a transport's own handler)
    if ((err as { frame?: string }).frame === 'oversize') refuse(new Error(`the server sent a line longer than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, the most a listing reads`));
  };
  try {
    return await listOver(transport, options.timeoutMs ?? 15_000, bad);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const said = lastWords(tail);
    const why = transport.exitReason?.startsWith('could not start') ? `the server ${transport.exitReason}` // (the client says only "Not connected")
      : `${err.message}${transport.exitReason !== undefined ? ` (the server ${transport.exitReason})` : ''}`;
    throw new Error(`${why}${said !== undefined ? `; the server's stderr ended: ${said}` : ''}`, { cause: err });
  }
}

const STDERR_TAIL = 4096;

/**
 * The lines of a server's stderr that say most: the last run of lines naming an error (Node, Python; up to three,
 * so npm's `npm error <why>` is kept beside the `npm error A complete log…` line that follows it), else the last line.
 */
function lastWords(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const naming = (l: string): boolean => /error|exception|cannot|fatal/i.test(l) && !/^at /.test(l);
  let end = lines.length;
  while (end > 0 && !naming(lines[end - 1]!)) end--;
  if (end === 0) return lines.at(-1)?.slice(0, 300);
  let start = end - 1;
  while (start > 0 && end - start < 3 && naming(lines[start - 1]!)) start--;
  return lines.slice(start, end).join(' / ').slice(0, 500);
}

/** `listTools` of a server reached over Streamable HTTP at `url`, with `headers` on every request (credentials). */
export async function listToolsHttp(url: URL, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<ToolManifest> {
  // INVARIANT: an answer is read to at most MAX_ANSWER_BYTES (a server could otherwise fill this process's memory
  // within the timeout); a longer one ends the listing at once, saying so
  let refuse: (err: Error) => void = () => undefined;
  const oversize = new Promise<never>((_, reject) => { refuse = reject; });
  oversize.catch(() => undefined); // (raced below; one after the listing ended is nobody's business)
  const bound: MessageBound = { maxBytes: MAX_ANSWER_BYTES, flag: 'the most a listing reads', onOversize: (why) => refuse(new Error(why)) };
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: async (u, init) => bounded(await fetch(u, init), bound) });
  try {
    return await listOver(transport, timeoutMs, oversize);
  } catch (err) {
    // fetch says only "fetch failed": why (ECONNREFUSED, a name that does not resolve, a bad certificate) is its cause
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    if (cause === undefined || (err as Error).message.includes(cause)) throw err;
    throw new Error(`${(err as Error).message} (${cause})`, { cause: err });
  }
}

/** The longest answer listToolsHttp reads (as the editor's listing). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

async function listOver(transport: Transport, timeoutMs: number, failed?: Promise<never>): Promise<ToolManifest> {
  const client = new Client({ name: 'mandate-simulate', version: '0.1.0' }, { capabilities: {} });
  const or = <T>(p: Promise<T>): Promise<T> => failed ? Promise.race([p, failed]) : p;
  try {
    await or(client.connect(transport, { timeout: timeoutMs }));
    const tools: ToolInfo[] = [];
    const pages = new ToolPages(MAX_TOOLS);
    let cursor: string | undefined;
    do {
      const page = await or(client.listTools(cursor !== undefined ? { cursor } : {}, { timeout: timeoutMs }));
      for (const t of page.tools) {
        tools.push({
          name: t.name, ...(t.description !== undefined ? { description: t.description } : {}),
          inputSchema: t.inputSchema, ...(t.annotations ? { annotations: annotationsOf(t.annotations) } : {}),
        });
      }
      cursor = pages.next(page.nextCursor, tools.length);
    } while (cursor !== undefined);
    return { tools };
  } finally {
    // an HTTP server is told the session is over (DELETE), as a polite client does
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) await transport.terminateSession().catch(() => undefined);
    // INVARIANT: the server process never outlives the listing, whatever happened.
    await client.close().catch(() => undefined);
  }
}

/** Copy the hints that are set (the SDK's type marks each optional property `| undefined`). */
function annotationsOf(a: Record<string, unknown>): ToolAnnotations {
  const out: ToolAnnotations = {};
  if (typeof a['title'] === 'string') out.title = a['title'];
  for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
    if (typeof a[k] === 'boolean') out[k] = a[k];
  }
  return out;
}
