// listTools(): start a governed MCP server over stdio, ask `tools/list`, stop it. Never calls a tool.
// Used by `mandate simulate --live`; kept here because only extension/proxy/ may import the MCP SDK.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ToolAnnotations, ToolInfo, ToolManifest } from '../../policies';

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
  const [cmd, ...args] = command;
  if (cmd === undefined) throw new TypeError('listTools needs a command');
  const transport = new StdioClientTransport({
    command: cmd, args, env: { ...getDefaultEnvironment(), ...(options.env ?? {}) }, stderr: 'ignore',
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  const client = new Client({ name: 'mandate-simulate', version: '0.1.0' }, { capabilities: {} });
  const timeoutMs = options.timeoutMs ?? 15_000;
  try {
    await client.connect(transport, { timeout: timeoutMs });
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor !== undefined ? { cursor } : {}, { timeout: timeoutMs });
      for (const t of page.tools) {
        tools.push({
          name: t.name, ...(t.description !== undefined ? { description: t.description } : {}),
          inputSchema: t.inputSchema, ...(t.annotations ? { annotations: annotationsOf(t.annotations) } : {}),
        });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < MAX_TOOLS);
    return { tools };
  } finally {
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
