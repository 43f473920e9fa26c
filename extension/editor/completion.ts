// Completion and hover for YAML policies, from the JSON Schema and the governed servers' manifests.
// Reads the text tolerantly (indentation, partial yaml results): never a path to a decision.

import { parseDocument } from 'yaml';
import * as vscode from 'vscode';
import type { ToolInfo } from '../../policies';
import { isJsonPolicy, manifestTools } from './policyDocs';
import { describe, deref, propertiesOf, schemaAt, yamlCursor, type YamlCursor } from './schemaAt';

/** What the document declares so far (tolerant: partial parse results are fine). */
interface Known {
  roles: string[];
  scopes: string[];
  tools: ToolInfo[];
}

function known(doc: vscode.TextDocument): Known {
  let value: Record<string, unknown> = {};
  try {
    // uniqueKeys off: the package's own check compares every key with every other (seconds on a large file), and
    // completion only needs the names declared so far
    const v = parseDocument(doc.getText(), { uniqueKeys: false }).toJS({ maxAliasCount: 100 }) as unknown;
    if (v && typeof v === 'object') value = v as Record<string, unknown>;
  } catch {
    // half-typed text: complete from the schema alone
  }
  const keys = (o: unknown): string[] => (o && typeof o === 'object' ? Object.keys(o) : []);
  return { roles: keys(value['roles']), scopes: keys(value['scopes']), tools: manifestTools(doc.uri, value['servers'])?.tools ?? [] };
}

function item(label: string, kind: vscode.CompletionItemKind, detail: string, insert?: string): vscode.CompletionItem {
  const it = new vscode.CompletionItem(label, kind);
  if (detail) it.documentation = new vscode.MarkdownString(detail);
  if (insert !== undefined) it.insertText = insert;
  return it;
}

/** Names valid at a value position (tool names, roles, scopes, argument names, enum values). */
function valueItems(c: YamlCursor, k: Known): vscode.CompletionItem[] {
  const field = c.valueKey ?? (typeof c.path[c.path.length - 1] === 'number' ? String(c.path[c.path.length - 2]) : '');
  const V = vscode.CompletionItemKind.Value;
  if (field === 'tool' || field === 'tools') return k.tools.map((t) => item(t.name, vscode.CompletionItemKind.Function, t.description ?? ''));
  if (field === 'agent_role' || field === 'role' || field === 'roles') return k.roles.map((r) => item(r, V, 'declared role'));
  if (field === 'scope') return k.scopes.map((s) => item(s, V, 'defined scope'));
  const node = deref(schemaAt(c.valueKey ? [...c.path, c.valueKey] : c.path));
  const out = (node?.enum ?? []).map((e) => item(String(e), vscode.CompletionItemKind.EnumMember, ''));
  if (node?.type === 'boolean') out.push(item('true', V, ''), item('false', V, ''));
  return out;
}

/** Argument names of the tools the enclosing grant or scope concerns (all known tools' arguments). */
function argItems(k: Known): vscode.CompletionItem[] {
  const seen = new Map<string, string>();
  for (const t of k.tools) {
    const props = (t.inputSchema?.['properties'] ?? {}) as Record<string, { description?: string }>;
    for (const [name, p] of Object.entries(props)) if (!seen.has(name)) seen.set(name, `argument of \`${t.name}\`${p.description ? `: ${p.description}` : ''}`);
  }
  return [...seen].map(([name, d]) => item(name, vscode.CompletionItemKind.Field, d, `${name}: `));
}

/** Completion for `*.mandate.yaml`. */
export class PolicyCompletion implements vscode.CompletionItemProvider {
  provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
    // the cursor is read as block YAML and items insert `key: `: in a `.mandate.json` policy that would break the JSON.
    // VS Code's JSON support completes those from the contributed schema (`jsonValidation`)
    if (isJsonPolicy(doc)) return [];
    const lines = doc.getText().split(/\r?\n/);
    const c = yamlCursor(lines, pos.line, pos.character);
    const k = known(doc);
    if (!c.atKey) return valueItems(c, k);
    const last = c.path[c.path.length - 1];
    if (last === 'args') return argItems(k);
    if (c.inList && typeof last === 'number' && !schemaAt(c.path)?.properties && !deref(schemaAt(c.path))?.oneOf) return valueItems(c, k);
    return propertiesOf(schemaAt(c.path)).map((p) => item(p.name, vscode.CompletionItemKind.Property, p.description, `${p.name}: `));
  }
}

/** Hover for keys (schema descriptions) and tool names (manifest descriptions). */
export class PolicyHover implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const word = doc.getWordRangeAtPosition(pos, /[\w.*/-]+/);
    if (!word) return undefined;
    const text = doc.getText(word);
    const lines = doc.getText().split(/\r?\n/);
    const c = yamlCursor(lines, pos.line, word.start.character);
    if (c.atKey && c.key === text) {
      const d = describe(schemaAt([...c.path, text]));
      if (d) return new vscode.Hover(new vscode.MarkdownString(`**${text}** — ${d}`), word);
    }
    const tool = known(doc).tools.find((t) => t.name === text);
    if (tool) {
      const ann = tool.annotations ? Object.entries(tool.annotations).map(([a, v]) => `\`${a}: ${String(v)}\``).join(' ') : '';
      return new vscode.Hover(new vscode.MarkdownString(`**tool \`${tool.name}\`** ${ann}\n\n${tool.description ?? ''}`), word);
    }
    return undefined;
  }
}
