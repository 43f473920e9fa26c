// Source positions for policy files: JSON pointer → file:line:col ranges, built from the yaml AST.
// Every finding and every decision reason points back into the file through this map.

import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node as YamlNode } from 'yaml';
import type { SourcePos, SourceRange } from './types';

export interface NodeRanges {
  /** the value's range */
  value: SourceRange;
  /** the key's range, for members of a mapping */
  key?: SourceRange;
}

/** Escape one JSON pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Join a parent pointer and a segment. */
export function childPointer(parent: string, segment: string | number): string {
  return `${parent}/${pointerSegment(segment)}`;
}

/** Split a JSON pointer into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Where each JSON pointer of a parsed document sits in its file. */
export class SourceMap {
  private readonly ranges = new Map<string, NodeRanges>();

  constructor(readonly file: string) {}

  /** Record a node's ranges (used while walking the AST). */
  set(pointer: string, ranges: NodeRanges): void {
    this.ranges.set(pointer, ranges);
  }

  /** The ranges of exactly this pointer, if the file has it. */
  get(pointer: string): NodeRanges | undefined {
    return this.ranges.get(pointer);
  }

  /** The range of the value at `pointer`, or of its nearest ancestor that exists. */
  range(pointer: string): SourceRange {
    return this.lookup(pointer).value;
  }

  /** The range of the key at `pointer` (or its value when it has no key, e.g. list items). */
  keyRange(pointer: string): SourceRange {
    const r = this.lookup(pointer);
    return r.key ?? r.value;
  }

  /** `file:line:col` of the value at `pointer`. */
  where(pointer: string): string {
    const r = this.range(pointer);
    return `${r.file}:${r.start.line}:${r.start.col}`;
  }

  private lookup(pointer: string): NodeRanges {
    let p = pointer;
    for (;;) {
      const r = this.ranges.get(p);
      if (r) return r;
      if (p === '') return { value: this.fileStart() };
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  private fileStart(): SourceRange {
    return { file: this.file, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
  }
}

/** Convert a byte offset pair to a range. */
export function offsetRange(file: string, lc: LineCounter, start: number, end: number): SourceRange {
  return { file, start: toPos(lc, start), end: toPos(lc, Math.max(start, end)) };
}

function toPos(lc: LineCounter, offset: number): SourcePos {
  const p = lc.linePos(offset);
  return { line: p.line, col: p.col };
}

/** Walk a yaml document's contents and record the range of every node under its JSON pointer. */
export function buildSourceMap(file: string, root: unknown, lc: LineCounter): SourceMap {
  const map = new SourceMap(file);
  const visit = (node: unknown, pointer: string, key?: SourceRange): void => {
    if (!node || typeof node !== 'object' || !('range' in node)) return;
    const yn = node as YamlNode;
    const [start, valueEnd] = yn.range ?? [0, 0, 0];
    const ranges: NodeRanges = { value: offsetRange(file, lc, start, valueEnd) };
    if (key) ranges.key = key;
    map.set(pointer, ranges);
    if (isMap(yn)) {
      for (const pair of yn.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        const name = isScalar(k) ? String(k.value) : String(k);
        const keyRange = k && typeof k === 'object' && 'range' in k && (k as YamlNode).range
          ? offsetRange(file, lc, (k as YamlNode).range![0], (k as YamlNode).range![1])
          : ranges.value;
        const child = childPointer(pointer, name);
        if (pair.value) visit(pair.value, child, keyRange);
        else map.set(child, { value: keyRange, key: keyRange });
      }
    } else if (isSeq(yn)) {
      yn.items.forEach((item, i) => visit(item, childPointer(pointer, i)));
    }
  };
  visit(root, '');
  return map;
}
