// Applies a finding's FixData (a JSON-Patch-like edit at a JSON pointer) to policy text and returns
// the smallest text replacement that produces the result. Pure: no vscode, used by quick fixes.

import { applyEdits, findNodeAtLocation, modify, parseTree, type ParseError } from 'jsonc-parser';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Pair } from 'yaml';
import { pointerSegments, type FixData } from '../../policies';

/** A replacement of text[start, end) by `text` (offsets into the original). */
export interface TextReplacement {
  start: number;
  end: number;
  text: string;
}

/** Apply `fix` to a YAML (or JSON, when `json`) policy text; undefined when the edit does not apply. */
export function fixEdit(source: string, fix: FixData, json: boolean): TextReplacement | undefined {
  if (!json) {
    const local = localYamlEdit(source, fix);
    if (local) return local;
  }
  const next = json ? applyJson(source, fix) : applyYaml(source, fix);
  if (next === undefined || next === source) return undefined;
  return minimalReplacement(source, next);
}

/** The smallest single replacement turning `a` into `b` (common prefix and suffix kept). */
export function minimalReplacement(a: string, b: string): TextReplacement {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) { endA--; endB--; }
  return { start, end: endA, text: b.slice(start, endB) };
}

function path(pointer: string): Array<string | number> {
  return pointerSegments(pointer).map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** A value as one line of flow YAML (`{ a: 1 }`, `[x, y]`, `true`). */
function flow(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

function lineIndent(source: string, offset: number): number {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  return offset - lineStart;
}

/**
 * The edit written where it belongs, touching nothing else: a key added to an existing mapping (a new
 * line in block style, `, key: v` in flow style), an item appended to a list, a value replaced in place,
 * a key renamed in place. Undefined when the shape is not one of these (the caller re-renders instead).
 */
function localYamlEdit(source: string, fix: FixData): TextReplacement | undefined {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) return undefined;
  const p = path(fix.pointer);
  const last = p[p.length - 1];
  const parentPath = p.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (fix.op === 'rename_key' && isMap(parent) && fix.key !== undefined) {
    const pair = parent.items.find((it: Pair) => isScalar(it.key) && String(it.key.value) === String(last));
    const r = pair && isScalar(pair.key) ? pair.key.range : undefined;
    return r ? { start: r[0], end: r[1], text: flow(fix.key) } : undefined;
  }
  if (fix.value === undefined) return undefined;
  const exists = doc.hasIn(p);
  if ((fix.op === 'replace' || (fix.op === 'add' && exists)) && last !== '-') {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    const r = node?.range;
    return r ? { start: r[0], end: r[1], text: flow(fix.value) } : undefined;
  }
  if (fix.op !== 'add') return undefined;
  if (isMap(parent) && typeof last === 'string') return appendTo(source, parent, `${flow(last)}: ${flow(fix.value)}`, '');
  if (isSeq(parent) && (last === '-' || last === parent.items.length)) return appendTo(source, parent, flow(fix.value), '- ');
  return undefined;
}

function appendTo(source: string, node: { flow?: boolean; items: unknown[]; range?: [number, number, number] | null }, entry: string, dash: string): TextReplacement | undefined {
  const r = node.range;
  const lastItem = node.items[node.items.length - 1] as { value?: { range?: [number, number, number] | null } | null; key?: { range?: [number, number, number] | null }; range?: [number, number, number] | null } | undefined;
  if (!r || !lastItem) return undefined;
  if (node.flow) {
    const close = source.lastIndexOf(dash ? ']' : '}', r[1]);
    if (close < 0) return undefined;
    let at = close;
    while (at > 0 && /\s/.test(source[at - 1]!)) at--;
    return { start: at, end: at, text: `, ${entry}` };
  }
  const first = node.items[0] as { key?: { range?: [number, number, number] | null }; range?: [number, number, number] | null };
  const firstStart = (dash ? first.range?.[0] : first.key?.range?.[0]);
  const lastEnd = (dash ? lastItem.range?.[1] : lastItem.value?.range?.[1] ?? lastItem.key?.range?.[1]);
  if (firstStart === undefined || lastEnd === undefined) return undefined;
  // a list item's node starts after its `- `: indent to the dash
  const indent = dash ? Math.max(0, source.lastIndexOf('-', firstStart) - (source.lastIndexOf('\n', firstStart - 1) + 1)) : lineIndent(source, firstStart);
  const eol = source.indexOf('\n', lastEnd);
  const at = eol < 0 ? source.length : eol;
  return { start: at, end: at, text: `\n${' '.repeat(indent)}${dash}${entry}` };
}

function applyYaml(source: string, fix: FixData): string | undefined {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) return undefined;
  const p = path(fix.pointer);
  const last = p[p.length - 1];
  const parent = p.slice(0, -1);
  switch (fix.op) {
    case 'add':
    case 'replace':
      if (fix.value === undefined) return undefined;
      if (last === '-') doc.addIn(parent, doc.createNode(fix.value));
      else doc.setIn(p, doc.createNode(fix.value));
      break;
    case 'remove':
      if (!doc.hasIn(p)) return undefined;
      doc.deleteIn(p);
      break;
    case 'rename_key': {
      const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
      if (!isMap(map) || fix.key === undefined) return undefined;
      const pair = map.items.find((it: Pair) => isScalar(it.key) && String(it.key.value) === String(last));
      if (!pair || !isScalar(pair.key)) return undefined;
      pair.key.value = fix.key;
      break;
    }
  }
  return doc.toString();
}

/**
 * The JSON edit written where it belongs (jsonc-parser's `modify`, as VS Code edits settings): the members around it
 * keep their layout. It re-serialised the whole file, so one added role turned every one-line object into several.
 */
function applyJson(source: string, fix: FixData): string | undefined {
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false });
  if (!tree || errors.length > 0) return undefined;
  const p = path(fix.pointer);
  const last = p[p.length - 1];
  if (last === undefined) return undefined;
  const indent = /\n([ \t]+)"/.exec(source)?.[1] ?? '  ';
  const formattingOptions = { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: source.includes('\r\n') ? '\r\n' : '\n' };
  const parent = findNodeAtLocation(tree, p.slice(0, -1));
  if (fix.op === 'rename_key') {
    // the key's own text replaced: its value and place stay
    const member = parent?.type === 'object' ? parent.children?.find((m) => m.children?.[0]?.value === String(last)) : undefined;
    const key = member?.children?.[0];
    if (fix.key === undefined || key === undefined) return undefined;
    return applyEdits(source, [{ offset: key.offset, length: key.length, content: JSON.stringify(fix.key) }]);
  }
  if (fix.op === 'remove') return applyEdits(source, modify(source, p, undefined, { formattingOptions }));
  if (fix.value === undefined) return undefined;
  if (last === '-') {
    if (parent?.type !== 'array') return undefined;
    return applyEdits(source, modify(source, [...p.slice(0, -1), parent.children?.length ?? 0], fix.value, { formattingOptions, isArrayInsertion: true }));
  }
  return applyEdits(source, modify(source, p, fix.value, { formattingOptions }));
}
