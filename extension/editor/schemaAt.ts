// Tolerant editor-side reading of a policy while it is typed: which key path the cursor is under
// (by indentation, so half-written YAML still works) and what the JSON Schema says about it.
// Never used for decisions: only for completion and hover.

import schema from '../../policies/schema/mandate.schema.json';

/** A schema node, as far as the editor reads it. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  patternProperties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: unknown[];
  const?: unknown;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
}

const root = schema as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

/** Follow `$ref` to its definition. */
export function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let i = 0; n?.$ref !== undefined && i < 10; i++) n = root.definitions[n.$ref.replace('#/definitions/', '')];
  return n;
}

/** The schema node at a key path (`['grants', 0, 'scope']`), or undefined when the schema has none. */
export function schemaAt(path: ReadonlyArray<string | number>): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const seg of path) {
    node = deref(node);
    if (!node) return undefined;
    node = child(node, seg);
  }
  return deref(node);
}

function child(node: SchemaNode, seg: string | number): SchemaNode | undefined {
  const alts = [node, ...(node.oneOf ?? []).map(deref), ...(node.anyOf ?? []).map(deref)].filter((n): n is SchemaNode => !!n);
  for (const n of alts) {
    if (typeof seg === 'number' && n.items) return n.items;
    if (typeof seg === 'string' && n.properties?.[seg]) return n.properties[seg];
  }
  for (const n of alts) {
    if (typeof seg === 'string' && n.additionalProperties && typeof n.additionalProperties === 'object') return n.additionalProperties;
    if (typeof seg === 'string' && n.patternProperties) return Object.values(n.patternProperties)[0];
    if (typeof seg === 'number' && n.items) return n.items;
  }
  return undefined;
}

/** The property names a mapping at this schema node admits, with their descriptions. */
export function propertiesOf(node: SchemaNode | undefined): Array<{ name: string; description: string }> {
  const n = deref(node);
  if (!n) return [];
  const out = new Map<string, string>();
  for (const alt of [n, ...(n.oneOf ?? []).map(deref), ...(n.anyOf ?? []).map(deref)]) {
    for (const [name, p] of Object.entries(alt?.properties ?? {})) out.set(name, describe(p));
  }
  return [...out].map(([name, description]) => ({ name, description }));
}

/** A one-line description of a schema node (its own, or its definition's). */
export function describe(node: SchemaNode | undefined): string {
  if (!node) return '';
  if (node.description) return node.description;
  const d = deref(node);
  if (d?.description) return d.description;
  const t = d?.type ?? (d?.items ? 'array' : undefined);
  return t ? String(t) : '';
}

/** Where the cursor is in block YAML: the key path of the enclosing mapping and the key being typed. */
export interface YamlCursor {
  /** path of the mapping or list item whose keys are typed at the cursor */
  path: Array<string | number>;
  /** the key on the cursor line (for hover), when the line is `key: …` */
  key?: string;
  /** true when the cursor sits where a key is typed (not after `key:`) */
  atKey: boolean;
  /** for a value position: the key whose value is typed */
  valueKey?: string;
  /** true when the cursor line is a list item (`- …`) */
  inList: boolean;
}

const KEY_LINE = /^(\s*)(-\s+)?(["']?)([\w.:*/-]+)\3\s*:(\s.*)?$/;

interface LineShape { lead: number; dash: number; keyCol: number; key?: string }

function shape(text: string): LineShape | undefined {
  if (/^\s*(#.*)?$/.test(text)) return undefined;
  const lead = /^\s*/.exec(text)![0].length;
  const d = /^(\s*)-(\s+|$)/.exec(text);
  const keyCol = d ? d[0].length : lead;
  const km = KEY_LINE.exec(text);
  return { lead, dash: d ? lead : -1, keyCol, ...(km ? { key: km[4]! } : {}) };
}

/**
 * Read the key path at (line, col) from indentation alone. Tolerates unfinished text; understands
 * block mappings, `- ` list items and a `key: ` value position. Flow collections count as values.
 */
export function yamlCursor(lines: readonly string[], line: number, col: number): YamlCursor {
  const current = lines[line] ?? '';
  const before = current.slice(0, col);
  const own = shape(current);
  const atKey = /^\s*(-\s+)?[\w"'.-]*$/.test(before);
  const valueMatch = /^\s*(?:-\s+)?([\w.-]+)\s*:\s*(.*)$/.exec(before);
  const inList = own !== undefined && own.dash >= 0;
  let path: Array<string | number>;
  if (own && own.dash >= 0) {
    path = [...parentPath(lines, line, own.dash), countItems(lines, line, own.dash)];
  } else {
    const keyCol = own ? own.keyCol : before.length - before.trimStart().length;
    path = parentPath(lines, line, keyCol);
  }
  const out: YamlCursor = { path, atKey, inList };
  if (own?.key !== undefined) out.key = own.key;
  if (!atKey && valueMatch) out.valueKey = valueMatch[1]!;
  return out;
}

/** The key path of the node whose keys start at column `want` on line `line`. */
function parentPath(lines: readonly string[], line: number, want: number): Array<string | number> {
  const path: Array<string | number> = [];
  for (let i = line - 1; i >= 0 && want > 0; i--) {
    const s = shape(lines[i] ?? '');
    if (!s) continue;
    if (s.dash >= 0 && s.keyCol === want && s.dash < want) {
      // a sibling key on the dash line of the list item holding us: the item is the parent
      path.unshift(countItems(lines, i, s.dash));
      want = s.dash;
    } else if (s.keyCol < want && s.key !== undefined) {
      path.unshift(s.key);
      want = s.keyCol;
      if (s.dash >= 0) {
        path.unshift(countItems(lines, i, s.dash));
        want = s.dash;
      }
    } else if (s.dash >= 0 && s.dash < want) {
      path.unshift(countItems(lines, i, s.dash));
      want = s.dash;
    } else if (s.lead < want) {
      return path;
    }
  }
  return path;
}

/** The index of the list item starting on line `at` (items at column `dash` above it, same list). */
function countItems(lines: readonly string[], at: number, dash: number): number {
  let n = 0;
  for (let i = at - 1; i >= 0; i--) {
    const s = shape(lines[i] ?? '');
    if (!s) continue;
    if (s.lead < dash) break;
    if (s.lead === dash && s.dash === dash) n++;
    else if (s.lead === dash) break;
  }
  return n;
}
