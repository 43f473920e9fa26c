// Source positions for policy files: JSON pointer → file:line:col ranges, built from the yaml AST.
// Every finding and every decision reason points back into the file through this map.

import { isMap, isPair, isScalar, isSeq, type Node as YamlNode } from 'yaml';
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

/** Offsets of the start of every line of a text, for offset → line:col. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line and column (in UTF-16 code units, as editors and the `yaml` package count) of an offset. */
  pos(offset: number): SourcePos {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - s[lo]! + 1 };
  }
}

/** Offsets of one node: value start, value end, and key start and end when it is a mapping member. */
type Offsets = readonly [number, number] | readonly [number, number, number, number];

/**
 * Where each JSON pointer of a parsed document sits in its file. Offsets are kept as parsed and turned
 * into line:col only when a range is asked for (a 1,000-role policy has ~30,000 nodes; a lint asks for a few).
 */
export class SourceMap {
  private readonly offsetsOf = new Map<string, Offsets>();
  /** built on the first range asked for: a map that is thrown away (parse.ts's fallback) never scans the text */
  private lines: LineIndex | undefined;

  constructor(readonly file: string, private readonly text: string) {}

  /** Record a node's offsets (used while parsing). */
  setOffsets(pointer: string, start: number, end: number, keyStart?: number, keyEnd?: number): void {
    this.offsetsOf.set(pointer, keyStart === undefined ? [start, end] : [start, end, keyStart, keyEnd ?? keyStart]);
  }

  /** The ranges of exactly this pointer, if the file has it. */
  get(pointer: string): NodeRanges | undefined {
    const o = this.offsetsOf.get(pointer);
    return o ? this.toRanges(o) : undefined;
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

  /** Convert a pair of offsets into this file to a range. */
  offsetRange(start: number, end: number): SourceRange {
    this.lines ??= new LineIndex(this.text);
    return { file: this.file, start: this.lines.pos(start), end: this.lines.pos(Math.max(start, end)) };
  }

  /** Every pointer's offsets: [value start, value end] or with [key start, key end] too. */
  offsets(): Map<string, number[]> {
    return new Map([...this.offsetsOf].map(([pointer, o]) => [pointer, [...o]]));
  }

  private toRanges(o: Offsets): NodeRanges {
    const ranges: NodeRanges = { value: this.offsetRange(o[0], o[1]) };
    if (o.length === 4) ranges.key = this.offsetRange(o[2], o[3]);
    return ranges;
  }

  private lookup(pointer: string): NodeRanges {
    let p = pointer;
    for (;;) {
      const o = this.offsetsOf.get(p);
      if (o) return this.toRanges(o);
      if (p === '') return { value: { file: this.file, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } } };
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }
}

/**
 * The name a mapping key has once read, as the `yaml` package's toJS names it on a plain object: a scalar's
 * value as a string (`true` and `"true"` are one name; `~` is the empty name). Undefined for a key that is
 * not a scalar (a collection or an alias), which a policy does not use.
 */
export function keyName(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

/**
 * Walk a yaml document's contents and record the offsets of every node under its JSON pointer.
 * A block mapping or sequence ends where the line of its last value ends: yaml's own ranges also take
 * in some comment and blank lines after it, depending on their indentation, which a diagnostic should
 * not underline (and which the fast path in fastYaml.ts does not reproduce).
 */
export function buildSourceMap(file: string, text: string, root: unknown): SourceMap {
  const map = new SourceMap(file, text);
  const lineEnd = (e: number): number => {
    if (e > 0 && text.charCodeAt(e - 1) === 10) return e;
    const nl = text.indexOf('\n', e);
    return nl === -1 ? text.length : nl + 1;
  };
  /** Records the node and returns the offset past the line its value ends on. */
  const visit = (node: unknown, pointer: string, key?: readonly [number, number]): number => {
    if (!node || typeof node !== 'object' || !('range' in node)) return key ? lineEnd(key[1]) : 0;
    const yn = node as YamlNode;
    const [start, valueEnd] = yn.range ?? [0, 0, 0];
    let end = valueEnd;
    let last = lineEnd(valueEnd);
    if (isMap(yn)) {
      for (const pair of yn.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        const name = keyName(k) ?? String(k);
        const kr = k && typeof k === 'object' && 'range' in k ? (k as YamlNode).range : undefined;
        const keyRange = kr ? [kr[0], kr[1]] as const : [start, valueEnd] as const;
        const child = childPointer(pointer, name);
        if (pair.value) last = visit(pair.value, child, keyRange);
        else {
          map.setOffsets(child, keyRange[0], keyRange[1], keyRange[0], keyRange[1]);
          last = lineEnd(keyRange[1]);
        }
      }
    } else if (isSeq(yn)) {
      yn.items.forEach((item, i) => { last = visit(item, childPointer(pointer, i)); });
    }
    if ((isMap(yn) || isSeq(yn)) && !yn.flow && yn.items.length > 0) end = last;
    map.setOffsets(pointer, start, end, key?.[0], key?.[1]);
    return lineEnd(end);
  };
  visit(root, '');
  return map;
}
