// The MCP server definition provider: guarded versions of the servers the workspace's policies
// govern, each launched through the bundled proxy (dist/proxy.js) with the policy and a role.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import { parse as parseYaml } from 'yaml';
import { resolveEnvRefs, type ParsedPolicy, type ServerDef } from '../../policies';
import { splitAuditPath } from './auditFiles';
import type { MandateUi } from './output';
import { POLICY_GLOB, policyName, strictParse } from './policyDocs';

/** The provider id, as contributed in package.json `mcpServerDefinitionProviders`. */
export const PROVIDER_ID = 'mandate.guardedServers';

/** One guarded server: what VS Code launches and what it guards. */
export interface GuardedServer {
  label: string;
  policy: string;
  server: string;
  role: string;
  audit: string;
}

/**
 * The roles a policy's servers are offered as: `mandate.guard.roles[policy]` (read with the policy's folder as scope,
 * keyed by the path relative to that folder), else each declared role.
 */
function rolesFor(uri: vscode.Uri, parsed: ParsedPolicy): string[] {
  const configured = vscode.workspace.getConfiguration('mandate', uri).get<Record<string, string>>('guard.roles', {});
  const role = configured[policyName(uri)];
  if (role !== undefined) return [role];
  return Object.keys(parsed.policy.roles ?? {});
}

/** Which `.vscode/mcp.json` servers to guard: `mandate.guard.mcpJson` = { server: { policy, role } }. */
interface McpJsonChoice { policy: string; role: string }

/** An `env` value that is one reference and nothing else: left to `resolveEnvRefs`, which leaves it out when unset. */
const WHOLE_ENV_REF = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * A server of a folder's `.vscode/mcp.json`: what it runs or reaches, and the folder it runs from; `unusable` says
 * why it cannot be guarded (a value only VS Code can ask the user for).
 */
export type McpJsonServer = ServerDef & { cwd: string; unusable?: string };

/**
 * The servers of `.vscode/mcp.json` (JSON with comments) of a workspace folder, as policy server definitions: stdio
 * ones by command, Streamable HTTP ones (`type: http`) by URL. Legacy SSE servers are left out (the proxy does not
 * speak that transport), and so are an HTTP server's `headers`: through the proxy, the server gets the policy's
 * credential. As VS Code runs them: from the folder (or their `cwd`, relative to it), `${workspaceFolder}` and
 * `${workspaceFolderBasename}` standing for that folder, `${userHome}`, `${pathSeparator}` (`${/}`) and `${env:NAME}`
 * (an `env` value that is only a reference is read as the policy's own `env` reads one: left out when unset).
 * `${input:…}` (asks the user), `${command:…}`, `${config:…}` and `${workspaceFolder:NAME}` only VS Code resolves: such
 * a server is marked `unusable`, never run with the literal text.
 */
export function mcpJsonServers(folder: string): Record<string, McpJsonServer> {
  const file = join(folder, '.vscode', 'mcp.json');
  if (!existsSync(file)) return {};
  let v: unknown;
  try {
    // YAML reads JSON; drop whole-line `//` comments that mcp.json allows
    v = parseYaml(readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
  } catch {
    return {};
  }
  const servers = (v as { servers?: Record<string, { command?: unknown; args?: unknown; env?: unknown; url?: unknown; type?: unknown; cwd?: unknown }> } | null)?.servers ?? {};
  // (functions, not strings, as replacements: a path holding `$&` or `$$` is put in as it is)
  const fixed: Record<string, string> = { workspaceFolder: folder, workspaceFolderBasename: basename(folder), userHome: homedir(), pathSeparator: sep, '/': sep };
  const vars = (t: string, envRefs = true): string => t.replace(/\$\{(workspaceFolder|workspaceFolderBasename|userHome|pathSeparator|\/)\}/g, (_, v: string) => fixed[v]!)
    .replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref: string, n: string) => (envRefs ? process.env[n] ?? '' : ref));
  const out: Record<string, McpJsonServer> = {};
  for (const [name, s] of Object.entries(servers)) {
    // what the proxy would run or reach with (an HTTP server's `headers` are not passed on: whatever they ask is moot)
    const used = JSON.stringify([s?.command, s?.args, s?.env, s?.url, s?.cwd]);
    const asked = /\$\{(?:input|command|config|workspaceFolder):[^}]*\}/.exec(used)?.[0];
    if (asked !== undefined) {
      out[name] = { cwd: folder, unusable: `it uses \`${asked}\`, which only VS Code can resolve: give the value in the environment VS Code runs in (\`\${env:NAME}\`) or in the policy's own \`servers\` entry` };
      continue;
    }
    const cwd = typeof s?.cwd === 'string' ? resolve(folder, vars(s.cwd)) : folder;
    if (typeof s?.url === 'string' && typeof s.command !== 'string' && (s.type === undefined || s.type === 'http') && /^https?:\/\//i.test(vars(s.url))) {
      out[name] = { url: vars(s.url), cwd };
      continue;
    }
    if (typeof s?.command !== 'string') continue;
    const args = Array.isArray(s.args) ? s.args.filter((a): a is string => typeof a === 'string').map((a) => vars(a)) : [];
    const env = s.env && typeof s.env === 'object' ? Object.fromEntries(Object.entries(s.env).filter((e): e is [string, string] => typeof e[1] === 'string').map(([k, e]) => [k, vars(e, !WHOLE_ENV_REF.test(e))])) : undefined;
    out[name] = { command: [vars(s.command), ...args], ...(env ? { env } : {}), cwd };
  }
  return out;
}

/** The audit log a policy names (its `audit.path`, else `.mandate/audit.jsonl`), resolved against the policy's folder. */
export function policyAuditPath(policyPath: string, parsed: ParsedPolicy): string {
  const rel = parsed.policy.audit?.path ?? '.mandate/audit.jsonl';
  return isAbsolute(rel) ? rel : resolve(dirname(policyPath), rel);
}

/** How the proxy reaches a server: by command it runs behind the proxy; by URL (Streamable HTTP), `--upstream`. */
function upstreamArgs(s: ServerDef | undefined): string[] | undefined {
  return s?.command && s.command.length > 0 ? ['--', ...s.command] : s?.url !== undefined && /^https?:\/\//i.test(s.url) ? ['--upstream', s.url] : undefined;
}

/**
 * The proxy command line for one server of one policy (`override`: a server from `.vscode/mcp.json`, run from its
 * folder); `split`: the policy's log would have other writers too, so this server writes its own (`splitAuditPath`).
 */
export function guardedDefinition(extensionPath: string, policyPath: string, parsed: ParsedPolicy, server: string, role: string, override?: McpJsonServer, split: boolean | { tag: string } = false,
  label = `${server} (guarded: ${role})`): { def: vscode.McpStdioServerDefinition; info: GuardedServer } | undefined {
  const s = override ?? parsed.policy.servers?.[server];
  const target = upstreamArgs(s);
  if (!s || !target) return undefined;
  const dir = dirname(policyPath);
  // the proxy (and the server behind it) runs from the policy's folder; an mcp.json server from its own, as VS Code
  // would run it — with the pins kept beside the policy all the same (the proxy's default is relative to where it runs)
  const cwd = override?.cwd ?? dir;
  const pins = cwd !== dir ? ['--pins-dir', join(dir, '.mandate', 'pins')] : [];
  // INVARIANT: one writer per log — proxies appending to one file would each chain from their own last record
  const audit = split ? splitAuditPath(policyAuditPath(policyPath, parsed), server, role, split === true ? undefined : split.tag) : policyAuditPath(policyPath, parsed);
  const args = [join(extensionPath, 'dist', 'proxy.js'), '--policy', policyPath, '--role', role, '--server', server, '--audit', audit, ...pins, ...target];
  // Electron's binary runs as plain Node only with ELECTRON_RUN_AS_NODE; the server host's Node ignores it.
  // secrets by reference (`${NAME}`, `${env:NAME}`) are read from the editor's environment; an unset one is left out
  const env: Record<string, string> = { ...resolveEnvRefs(s.env ?? {}, process.env).env, ELECTRON_RUN_AS_NODE: '1' };
  // the proxy presents a server's `credential: env:NAME` upstream: it reads NAME from the editor's environment
  const credential = s.url !== undefined ? /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(s.credential ?? '')?.[1] : undefined;
  if (credential !== undefined && process.env[credential] !== undefined) env[credential] = process.env[credential];
  const version = createHash('sha256').update(parsed.text).update(role).digest('hex').slice(0, 16);
  const def = new vscode.McpStdioServerDefinition(label, process.execPath, args, env, version);
  def.cwd = vscode.Uri.file(cwd);
  return { def, info: { label, policy: policyPath, server, role, audit } };
}

/** A guarded server to offer: a server of a policy (or of a folder's `.vscode/mcp.json`, `override`) behind a role. */
interface Wanted {
  policy: string;
  parsed: ParsedPolicy;
  server: string;
  role: string;
  override?: McpJsonServer;
  /** the workspace folder whose `.vscode/mcp.json` holds `override` */
  folder?: vscode.WorkspaceFolder;
}

/** `mandate.guard.enabled`, read with the folder of `uri` as scope. */
const guarding = (uri: vscode.Uri): boolean => vscode.workspace.getConfiguration('mandate', uri).get<boolean>('guard.enabled', true);

/**
 * Offers guarded servers for every policy in the workspace, each workspace folder with its own settings; refreshes
 * when a policy or a folder's `.vscode/mcp.json` is saved, a setting changes or a folder comes or goes.
 */
export class GuardedServers implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changed.event;
  private readonly provided = new vscode.EventEmitter<string[]>();
  /** fires (after VS Code has received them) with the labels of the definitions just provided */
  readonly onDidProvide = this.provided.event;
  /** what was offered last, by label */
  readonly offered = new Map<string, GuardedServer>();
  private readonly subs: vscode.Disposable[];

  constructor(private readonly extensionPath: string, private readonly ui: MandateUi) {
    const watchers = [POLICY_GLOB, '**/.vscode/mcp.json'].map((glob) => vscode.workspace.createFileSystemWatcher(glob));
    const fire = (): void => this.changed.fire();
    this.subs = [...watchers, this.changed, this.provided, ...watchers.flatMap((w) => [w.onDidChange(fire), w.onDidCreate(fire), w.onDidDelete(fire)]),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('mandate.guard')) this.changed.fire(); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.changed.fire())];
  }

  async provideMcpServerDefinitions(): Promise<vscode.McpStdioServerDefinition[]> {
    this.offered.clear();
    const wanted: Wanted[] = [];
    for (const uri of await vscode.workspace.findFiles(POLICY_GLOB, '**/node_modules/**', 200)) {
      // each folder's settings for its own policies (a multi-root workspace may guard one folder and not another)
      if (!guarding(uri)) continue;
      const doc = await vscode.workspace.openTextDocument(uri);
      const parsed = strictParse(doc);
      if (!parsed.ok) {
        this.ui.log.warn(`not offering the servers of \`${policyName(uri)}\`: the policy does not parse`);
        continue;
      }
      for (const role of rolesFor(uri, parsed.parsed)) {
        for (const server of Object.keys(parsed.parsed.policy.servers ?? {})) wanted.push({ policy: uri.fsPath, parsed: parsed.parsed, server, role });
      }
    }
    wanted.push(...(await this.fromMcpJson()));
    // only servers the proxy can reach are offered (one known by its tools_manifest alone is not)
    const offer = wanted.filter((w) => upstreamArgs(w.override ?? w.parsed.policy.servers?.[w.server]) !== undefined);
    const count = (keys: string[]): Map<string, number> => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    // several guarded servers naming one log each get their own (one writer per log)
    const writers = count(wanted.map((w) => policyAuditPath(w.policy, w.parsed)));
    // … and those that would still share one (two policies with one log, or a policy's server and the .vscode/mcp.json
    // server of that name) are told apart by where they come from; so are their labels, which VS Code shows and
    // `offered` is keyed by
    // with its folder's name in a multi-root workspace, where two folders may each hold `p.mandate.yaml`
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const source = (w: Wanted): string => (w.override ? `${multiRoot && w.folder ? `${w.folder.name}/` : ''}.vscode/mcp.json` : vscode.workspace.asRelativePath(w.policy, multiRoot));
    const splitPaths = count(offer.map((w) => splitAuditPath(policyAuditPath(w.policy, w.parsed), w.server, w.role)));
    const labelUses = count(offer.map((w) => `${w.server} (guarded: ${w.role})`));
    const shortLabel = (w: Wanted): string => {
      const label = `${w.server} (guarded: ${w.role})`;
      return labelUses.get(label)! > 1 ? `${label} — ${source(w)}` : label;
    };
    // two workspace folders of one name (`a/app`, `b/app`) still collide there: their full paths tell them apart
    const shortUses = count(offer.map(shortLabel));
    const labelOf = (w: Wanted): string => (shortUses.get(shortLabel(w))! > 1 ? `${shortLabel(w)} (${w.override && w.folder ? w.folder.uri.fsPath : w.policy})` : shortLabel(w));
    const out: vscode.McpStdioServerDefinition[] = [];
    for (const w of offer) {
      const base = policyAuditPath(w.policy, w.parsed);
      // (the mcp.json servers of two folders may share a policy: their folder tells them apart)
      const tag = createHash('sha256').update(`${w.override ? 'mcp.json' : 'policy'}\0${w.policy}${multiRoot && w.folder ? `\0${w.folder.uri.fsPath}` : ''}`).digest('hex').slice(0, 8);
      const split = writers.get(base)! > 1 && (splitPaths.get(splitAuditPath(base, w.server, w.role))! > 1 ? { tag } : true);
      const g = guardedDefinition(this.extensionPath, w.policy, w.parsed, w.server, w.role, w.override, split, labelOf(w));
      if (!g) continue;
      out.push(g.def);
      this.offered.set(g.info.label, g.info);
    }
    this.ui.setGuarded([...this.offered.keys()]);
    this.ui.log.info(`offering ${out.length} guarded MCP server(s)`);
    // the host forwards the result when this promise settles; listeners run after that
    const labels = [...this.offered.keys()];
    setImmediate(() => this.provided.fire(labels));
    return out;
  }

  /**
   * The `.vscode/mcp.json` servers the user chose to guard (`mandate.guard.mcpJson`), of each workspace folder: its
   * own file, its own settings, the policy relative to it.
   */
  private async fromMcpJson(): Promise<Wanted[]> {
    const out: Wanted[] = [];
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const folder of folders) {
      if (!guarding(folder.uri)) continue;
      const chosen = vscode.workspace.getConfiguration('mandate', folder.uri).get<Record<string, McpJsonChoice>>('guard.mcpJson', {});
      if (Object.keys(chosen).length === 0) continue;
      const servers = mcpJsonServers(folder.uri.fsPath);
      const file = folders.length > 1 ? `${folder.name}/.vscode/mcp.json` : '.vscode/mcp.json';
      for (const [name, choice] of Object.entries(chosen)) {
        const def = servers[name];
        if (!def || typeof choice?.policy !== 'string' || typeof choice.role !== 'string') {
          this.ui.log.warn(`mandate.guard.mcpJson: no stdio or http server \`${name}\` in ${file}, or no policy and role for it`);
          continue;
        }
        if (def.unusable !== undefined) {
          this.ui.log.warn(`not guarding \`${name}\` of ${file}: ${def.unusable}`);
          continue;
        }
        const uri = isAbsolute(choice.policy) ? vscode.Uri.file(choice.policy) : vscode.Uri.joinPath(folder.uri, choice.policy);
        let doc: vscode.TextDocument;
        try {
          doc = await vscode.workspace.openTextDocument(uri);
        } catch {
          this.ui.log.warn(`not guarding \`${name}\` of ${file}: no policy at \`${uri.fsPath}\``);
          continue;
        }
        const parsed = strictParse(doc);
        // INVARIANT: an mcp.json server is offered only behind a policy that parses strictly
        if (!parsed.ok) { this.ui.log.warn(`not guarding \`${name}\` of ${file}: \`${choice.policy}\` does not parse`); continue; }
        out.push({ policy: uri.fsPath, parsed: parsed.parsed, server: name, role: choice.role, override: def, folder });
      }
    }
    return out;
  }

  resolveMcpServerDefinition(def: vscode.McpStdioServerDefinition): vscode.McpStdioServerDefinition {
    this.ui.log.info(`starting \`${def.label}\` through the Mandate proxy`);
    return def;
  }

  dispose(): void {
    this.subs.forEach((s) => { s.dispose(); });
  }
}
