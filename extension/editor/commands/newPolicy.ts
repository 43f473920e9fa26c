// "Mandate: New Policy from MCP Server": pick a server (from .vscode/mcp.json or a typed command),
// list its tools, save their manifest and write a least-privilege starter policy beside it.

import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { mcpJsonServers } from '../mcpProvider';
import type { MandateUi } from '../output';
import { starterPolicy } from '../../../harness';
import { shellWords } from '../../../harness/simulate';
import { listTools, listToolsHttp } from '../toolsList';

export interface NewPolicyArgs {
  name?: string;
  command?: string[];
  /** a Streamable HTTP server instead of a command */
  url?: string;
  env?: Record<string, string>;
  /** do not open the new file (tests) */
  quiet?: boolean;
  /** the workspace folder to write into (its path); in a multi-root workspace, asked when not given */
  folder?: string;
}

/** A server to write a policy for: started by its command (stdio), or reached at its URL (Streamable HTTP). */
type Picked = { name: string; env?: Record<string, string>; cwd?: string } & ({ command: string[] } | { url: URL });

async function pickServer(folder: string): Promise<Picked | undefined> {
  // a policy is written from a listing of the server: started by its command, or asked at its URL
  const servers = mcpJsonServers(folder);
  const typed = '$(terminal) Type a server command…';
  const pick = await vscode.window.showQuickPick([...Object.keys(servers), typed], { placeHolder: 'MCP server to write a policy for' });
  if (!pick) return undefined;
  if (pick !== typed) {
    const s = servers[pick]!;
    if (s.url !== undefined) return { name: pick, url: new URL(s.url) };
    return { name: pick, command: s.command!, cwd: s.cwd, ...(s.env ? { env: s.env } : {}) };
  }
  // split as a shell would: a quoted argument with a space stays one (it was split on every space)
  const line = await vscode.window.showInputBox({
    prompt: 'server command (stdio), e.g. npx -y @modelcontextprotocol/server-memory',
    validateInput: (t) => (shellWords(t) === undefined ? 'a quote is not closed' : shellWords(t)!.length === 0 ? 'the command to start the server' : undefined),
  });
  const words = line !== undefined ? shellWords(line) : undefined;
  const name = words?.length ? await vscode.window.showInputBox({ prompt: 'a short name for the server', value: 'server' }) : undefined;
  return words?.length && name ? { name, command: words } : undefined;
}

/** Run the command; returns the new policy's uri. */
export async function newPolicyFromServer(ui: MandateUi, a: NewPolicyArgs = {}): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) { void vscode.window.showErrorMessage('open a folder first: the policy is written into it'); return undefined; }
  // a multi-root workspace: the folder the policy goes into, whose .vscode/mcp.json is offered
  const folder = a.folder ?? (folders.length === 1 ? folders[0]!.uri.fsPath
    : (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'workspace folder to write the policy into' }))?.uri.fsPath);
  if (!folder) return undefined;
  const server: Picked | undefined = a.name && a.url && URL.canParse(a.url) ? { name: a.name, url: new URL(a.url) }
    : a.name && a.command ? { name: a.name, command: a.command, ...(a.env ? { env: a.env } : {}) } : await pickServer(folder);
  if (!server) return undefined;
  const safe = server.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const manifest = `${safe}.tools.json`;
  const file = join(folder, `${safe}.mandate.yaml`);
  // INVARIANT: nothing is written unless both files are new (an existing policy's manifest is what it was linted against)
  const taken = [file, join(folder, manifest)].filter((f) => existsSync(f));
  if (taken.length > 0) { void vscode.window.showErrorMessage(`${taken.map((f) => `\`${basename(f)}\``).join(' and ')} exist already; not overwriting`); return undefined; }
  let tools;
  try {
    tools = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Mandate: listing the tools of \`${server.name}\`` },
      () => 'url' in server ? listToolsHttp(server.url) : listTools(server.command, { cwd: server.cwd ?? folder, ...(server.env ? { env: server.env } : {}) }));
  } catch (err) {
    void vscode.window.showErrorMessage(`cannot list the tools of \`${server.name}\`: ${(err as Error).message}`);
    return undefined;
  }
  writeFileSync(join(folder, manifest), `${JSON.stringify({ tools }, null, 1)}\n`);
  writeFileSync(file, starterPolicy(server.name, 'url' in server ? server.url : server.command, tools, { manifest, by: '"Mandate: New Policy from MCP Server"' }));
  ui.log.info(`wrote ${file} from ${tools.length} tools`);
  const uri = vscode.Uri.file(file);
  if (!a.quiet) await vscode.window.showTextDocument(uri);
  return uri;
}
