// A fast path for the YAML every policy file is written in: block and flow mappings and sequences,
// plain, single- and double-quoted one-line scalars, comments — and JSON, which is flow YAML.
//
// It never decides anything on its own: it either returns exactly what the `yaml` package would
// (the same JavaScript value under the YAML 1.2 core schema, the same source offsets for every node)
// or `undefined`, and the caller parses with `yaml` instead. Anything outside the subset, and every
// error, takes that way, so messages for broken files are yaml's. test/property/fastYaml.test.ts holds
// the two paths to the same answers on generated documents; the bench shows why it exists (the
// `yaml` package parses ~1 MB/s here, a 1,000-role policy took ~350 ms of a 100 ms lint budget).

/** Receives the offsets of every node: its value's [start, end) and, for members of a mapping, its key's. */
export type RecordOffsets = (pointer: string, start: number, end: number, keyStart?: number, keyEnd?: number) => void;

/** Thrown (one shared instance, no stack) to leave the fast path. */
const BAIL: unique symbol = Symbol('bail');
function bail(): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a sentinel, caught in fastParseYaml only
  throw BAIL;
}

const NL = 10; // \n
const SP = 32; // space
const HASH = 35; // #
const COLON = 58; // :
const COMMA = 44; // ,
const DASH = 45; // -
const LBRACK = 91; // [
const RBRACK = 93; // ]
const LBRACE = 123; // {
const RBRACE = 125; // }
const DQ = 34; // "
const SQ = 39; // '

/** Characters the fast path refuses anywhere (after CRLF → LF): tabs, a lone CR, other controls, BOM, and YAML's extra line breaks. */
// eslint-disable-next-line no-control-regex -- these are exactly the characters being refused
const REFUSED = /[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]/;
const MAX_DEPTH = 64;
const MAX_KEY = 1000;

/**
 * Parse `text` and report every node's offsets to `record`, or return undefined when the `yaml`
 * package must do it (offsets reported before giving up are then meaningless).
 */
export function fastParseYaml(text: string, record: RecordOffsets): { value: unknown } | undefined {
  let t = text;
  let sink = record;
  if (text.includes('\r')) {
    // Windows line breaks: parse with \n alone and move each offset past the \r characters before it
    if (/\r(?!\n)/.test(text)) return undefined;
    t = text.replace(/\r\n/g, '\n');
    // where each removed \r's line break sits in the \n-only text (files may mix both kinds)
    const breaks: number[] = [];
    for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) breaks.push(i - breaks.length);
    const shift = (o: number): number => {
      let lo = 0;
      let hi = breaks.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (breaks[mid]! < o) lo = mid + 1;
        else hi = mid;
      }
      return o + lo; // one \r for every CRLF line break before o
    };
    sink = (p, s, e, ks, ke) => (ks === undefined ? record(p, shift(s), shift(e)) : record(p, shift(s), shift(e), shift(ks), shift(ke ?? ks)));
  }
  if (REFUSED.test(t)) return undefined;
  try {
    return { value: new Parser(t, sink).document() };
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}

/** Plain scalars under the YAML 1.2 core schema, as the `yaml` package resolves them. */
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const OTHER_NUMBER = /^(?:0[xo]|[-+]?\.(?:inf|Inf|INF)$|\.(?:nan|NaN|NAN)$)/;

function resolvePlain(s: string): unknown {
  switch (s) {
    case '': case '~': case 'null': case 'Null': case 'NULL': return null;
    case 'true': case 'True': case 'TRUE': return true;
    case 'false': case 'False': case 'FALSE': return false;
    default: break;
  }
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === DASH || c === 43 || c === 46) {
    if (INT.test(s)) {
      const sign = s[0] === '-' ? -1 : 1;
      return sign * parseInt(c === DASH || c === 43 ? s.slice(1) : s, 10);
    }
    if (FLOAT.test(s)) return parseFloat(s);
    if (OTHER_NUMBER.test(s)) bail();
  }
  return s;
}

/** Characters a plain scalar may not start with (YAML c-indicator), apart from `-?:` which need a look-ahead. */
function forbiddenStart(c: number): boolean {
  // , [ ] { } # & * ! | > ' " % @ `
  return c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE || c === HASH || c === 38 || c === 42
    || c === 33 || c === 124 || c === 62 || c === SQ || c === DQ || c === 37 || c === 64 || c === 96;
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE;
}

class Parser {
  private i = 0;
  private readonly n: number;

  constructor(private readonly t: string, private readonly sink: RecordOffsets) {
    this.n = t.length;
  }

  document(): unknown {
    this.skipBlankLines();
    if (this.i >= this.n) bail(); // an empty document: rare, let yaml say what it is
    const ind = this.column();
    if (ind !== 0) bail();
    const value = this.blockNode(ind, -1, '', undefined);
    this.skipBlankLines();
    if (this.i < this.n) bail();
    return value;
  }

  // ---- lines -------------------------------------------------------------------------------------

  private column(j = this.i): number {
    return j - this.t.lastIndexOf('\n', j - 1) - 1;
  }

  /** Skip blank and comment-only lines from a line start (or from the end of a value's line). Stops at content. */
  private skipBlankLines(): void {
    const t = this.t;
    for (;;) {
      let j = this.i;
      while (j < this.n && t.charCodeAt(j) === SP) j++;
      if (j >= this.n) { this.i = j; return; }
      const c = t.charCodeAt(j);
      if (c === NL) { this.i = j + 1; continue; }
      if (c === HASH) { this.i = this.lineEnd(j); continue; }
      // content: refuse document markers and directives at column 0
      if (this.column(j) === 0 && (c === 37 || ((c === DASH || c === 46) && this.isMarker(j)))) bail();
      this.i = j;
      return;
    }
  }

  private isMarker(j: number): boolean {
    const t = this.t;
    const c = t.charCodeAt(j);
    if (t.charCodeAt(j + 1) !== c || t.charCodeAt(j + 2) !== c) return false;
    const after = t.charCodeAt(j + 3);
    return Number.isNaN(after) || after === SP || after === NL;
  }

  /** The offset just past the newline ending the line that contains `j` (or the end of the text). */
  private lineEnd(j: number): number {
    const nl = this.t.indexOf('\n', j);
    return nl === -1 ? this.n : nl + 1;
  }

  /** After a value on its line: allow spaces and a comment, then the line break. Returns the offset past the line. */
  private endOfLine(): number {
    const t = this.t;
    let j = this.i;
    const before = j;
    while (j < this.n && t.charCodeAt(j) === SP) j++;
    if (j >= this.n) this.i = j;
    else if (t.charCodeAt(j) === NL) this.i = j + 1;
    else if (t.charCodeAt(j) === HASH && j > before) this.i = this.lineEnd(j);
    else bail();
    this.blockEnd = this.i;
    return this.i;
  }

  /** Indentation of the next content line (skipping blank and comment lines), or -1 at the end. */
  private nextIndent(): number {
    this.skipBlankLines();
    return this.i >= this.n ? -1 : this.column();
  }

  // ---- block context ------------------------------------------------------------------------------

  /**
   * The node starting at this.i (column `ind`, content), inside a block collection at indent `parent`.
   * `keyStart`/`keyEnd` are recorded with it when it is a mapping member.
   */
  private blockNode(ind: number, parent: number, pointer: string, key: [number, number] | undefined, depth = 0): unknown {
    if (depth > MAX_DEPTH) bail();
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === DASH && this.spaceOrEnd(this.i + 1)) return this.blockSeq(ind, pointer, key, depth);
    if (c === LBRACK || c === LBRACE) {
      const v = this.flowNode(pointer, key, parent, depth);
      this.noColonAfter();
      this.endOfLine();
      return v;
    }
    const start = this.i;
    const s = this.scalar(false);
    if (this.isValueIndicator()) {
      this.i = start;
      return this.blockMap(ind, pointer, key, depth);
    }
    this.record(pointer, start, s.end, key);
    this.endOfLine();
    return s.value;
  }

  private spaceOrEnd(j: number): boolean {
    if (j >= this.n) return true;
    const c = this.t.charCodeAt(j);
    return c === SP || c === NL;
  }

  /** At `:` followed by a space, a line break or the end (after optional spaces on a plain key: refused). */
  private isValueIndicator(): boolean {
    return this.t.charCodeAt(this.i) === COLON && this.spaceOrEnd(this.i + 1);
  }

  private noColonAfter(): void {
    let j = this.i;
    while (j < this.n && this.t.charCodeAt(j) === SP) j++;
    if (this.t.charCodeAt(j) === COLON) bail();
  }

  private blockMap(m: number, pointer: string, key: [number, number] | undefined, depth: number): Record<string, unknown> {
    const t = this.t;
    const out: Record<string, unknown> = {};
    const start = this.i;
    let end = start;
    for (;;) {
      // a key at column m
      const ks = this.i;
      const kc = t.charCodeAt(ks);
      if (kc === DASH && this.spaceOrEnd(ks + 1)) bail(); // a sequence where a key belongs
      if (kc === LBRACK || kc === LBRACE || kc === 63 /* ? */) bail();
      const k = this.scalar(false);
      if (typeof k.value !== 'string' || k.end - ks > MAX_KEY) bail();
      if (!this.isValueIndicator()) bail();
      const name = k.value;
      if (name === '__proto__' || name === '<<' || Object.prototype.hasOwnProperty.call(out, name)) bail();
      const child = `${pointer}/${escapeSegment(name)}`;
      const keyRange: [number, number] = [ks, k.end];
      this.i++; // the colon
      while (this.i < this.n && t.charCodeAt(this.i) === SP) this.i++;
      const c = this.i < this.n ? t.charCodeAt(this.i) : NL;
      let value: unknown;
      if (c === NL || (c === HASH && t.charCodeAt(this.i - 1) === SP)) {
        // the value is on the following lines, or empty
        const emptyAt = this.i;
        this.endOfLine();
        end = this.i;
        const ni = this.nextIndent();
        if (ni > m) {
          value = this.blockNode(ni, m, child, keyRange, depth + 1);
          end = this.blockEnd;
        } else if (ni === m && t.charCodeAt(this.i) === DASH && this.spaceOrEnd(this.i + 1)) {
          value = this.blockSeq(m, child, keyRange, depth + 1);
          end = this.blockEnd;
        } else {
          value = null;
          this.record(child, emptyAt, emptyAt, keyRange);
        }
      } else {
        value = this.inlineValue(m, child, keyRange, depth + 1);
        end = this.i;
      }
      out[name] = value;
      const ni = this.nextIndent();
      if (ni === m) continue;
      if (ni < m) break;
      bail();
    }
    this.record(pointer, start, end, key);
    return out;
  }

  /** A value after `key: ` or `- ` on the same line: a flow collection or a scalar, then the end of the line. */
  private inlineValue(parent: number, pointer: string, key: [number, number] | undefined, depth: number): unknown {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === LBRACK || c === LBRACE) {
      const v = this.flowNode(pointer, key, parent, depth);
      this.noColonAfter();
      this.endOfLine();
      return v;
    }
    if (c === DASH && this.spaceOrEnd(this.i + 1)) bail();
    const start = this.i;
    const s = this.scalar(false);
    if (t.charCodeAt(this.i) === COLON) bail(); // `a: b: c`, or a compact mapping handled by the caller
    this.record(pointer, start, s.end, key);
    this.endOfLine();
    return s.value;
  }

  /** Where the block node parsed last ends: past the line break of its last line (or at the end of the text). */
  private blockEnd = 0;

  private blockSeq(s: number, pointer: string, key: [number, number] | undefined, depth: number): unknown[] {
    if (depth > MAX_DEPTH) bail();
    const t = this.t;
    const out: unknown[] = [];
    const start = this.i;
    let end = this.i;
    for (;;) {
      // at a dash in column s
      const child = `${pointer}/${out.length}`;
      this.i++;
      while (this.i < this.n && t.charCodeAt(this.i) === SP) this.i++;
      const c = this.i < this.n ? t.charCodeAt(this.i) : NL;
      if (c === NL || c === HASH) {
        if (c === HASH && t.charCodeAt(this.i - 1) !== SP) bail();
        this.endOfLine();
        const ni = this.nextIndent();
        if (ni <= s) bail(); // an empty item: rare, yaml decides
        out.push(this.blockNode(ni, s, child, undefined, depth + 1));
        end = this.blockEnd;
      } else if (c === DASH && this.spaceOrEnd(this.i + 1)) {
        bail(); // `- - a`
      } else if (c === LBRACK || c === LBRACE) {
        out.push(this.flowNode(child, undefined, s, depth + 1));
        this.noColonAfter();
        end = this.endOfLine();
      } else {
        const itemStart = this.i;
        const v = this.scalar(false);
        if (this.isValueIndicator()) {
          // a compact mapping: `- key: value` with further keys aligned under the first
          this.i = itemStart;
          out.push(this.blockMap(this.column(itemStart), child, undefined, depth + 1));
        } else {
          if (t.charCodeAt(this.i) === COLON) bail();
          this.record(child, itemStart, v.end, undefined);
          out.push(v.value);
          this.endOfLine();
        }
        end = this.blockEnd;
      }
      const ni = this.nextIndent();
      if (ni === s && t.charCodeAt(this.i) === DASH && this.spaceOrEnd(this.i + 1)) continue;
      if (ni > s) bail();
      break;
    }
    this.record(pointer, start, end, key);
    return out;
  }

  // ---- flow context -------------------------------------------------------------------------------

  /**
   * Skip spaces, line breaks and comments inside a flow collection. A continuation line must be
   * indented more than the enclosing block (`parent`); otherwise the fast path gives up.
   */
  private flowSpace(parent: number): void {
    const t = this.t;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === SP) { this.i++; continue; }
      if (c === NL) {
        this.i++;
        let j = this.i;
        while (j < this.n && t.charCodeAt(j) === SP) j++;
        const next = t.charCodeAt(j);
        if (next !== NL && next !== HASH && !Number.isNaN(next) && j - this.i <= parent) bail();
        if (parent < 0 && j === this.i && (next === DASH || next === 46) && this.isMarker(j)) bail();
        this.i = j;
        continue;
      }
      if (c === HASH) {
        if (t.charCodeAt(this.i - 1) !== SP) bail(); // yaml refuses a comment at column 0 inside a flow collection
        const nl = t.indexOf('\n', this.i);
        this.i = nl === -1 ? this.n : nl;
        continue;
      }
      return;
    }
  }

  private flowNode(pointer: string, key: [number, number] | undefined, parent: number, depth: number): unknown {
    if (depth > MAX_DEPTH) bail();
    const t = this.t;
    const c = t.charCodeAt(this.i);
    const start = this.i;
    if (c === LBRACK) {
      this.i++;
      const out: unknown[] = [];
      this.flowSpace(parent);
      while (t.charCodeAt(this.i) !== RBRACK) {
        out.push(this.flowNode(`${pointer}/${out.length}`, undefined, parent, depth + 1));
        this.flowSpace(parent);
        const d = t.charCodeAt(this.i);
        if (d === COMMA) { this.i++; this.flowSpace(parent); continue; }
        if (d !== RBRACK) bail(); // includes `[a: 1]`, an implicit mapping
      }
      this.i++;
      this.record(pointer, start, this.i, key);
      return out;
    }
    if (c === LBRACE) {
      this.i++;
      const out: Record<string, unknown> = {};
      this.flowSpace(parent);
      while (t.charCodeAt(this.i) !== RBRACE) {
        const ks = this.i;
        const kc = t.charCodeAt(ks);
        if (kc === LBRACK || kc === LBRACE || kc === 63 /* ? */ || kc === COLON) bail();
        const k = this.scalar(true);
        if (typeof k.value !== 'string' || k.end - ks > MAX_KEY) bail();
        const name = k.value;
        if (name === '__proto__' || name === '<<' || Object.prototype.hasOwnProperty.call(out, name)) bail();
        while (t.charCodeAt(this.i) === SP) this.i++;
        if (t.charCodeAt(this.i) !== COLON) bail(); // `{a, b}` or a key broken over lines
        const quoted = kc === DQ || kc === SQ;
        const after = t.charCodeAt(this.i + 1);
        if (!quoted && !(after === SP || after === NL || Number.isNaN(after) || isFlowIndicator(after))) bail();
        this.i++;
        this.flowSpace(parent);
        const child = `${pointer}/${escapeSegment(name)}`;
        const d = t.charCodeAt(this.i);
        if (d === COMMA || d === RBRACE) {
          out[name] = null;
          this.record(child, this.i, this.i, [ks, k.end]);
        } else {
          out[name] = this.flowNode(child, [ks, k.end], parent, depth + 1);
          this.flowSpace(parent);
        }
        const e = t.charCodeAt(this.i);
        if (e === COMMA) { this.i++; this.flowSpace(parent); continue; }
        if (e !== RBRACE) bail();
      }
      this.i++;
      this.record(pointer, start, this.i, key);
      return out;
    }
    const s = this.scalar(true);
    this.record(pointer, start, s.end, key);
    return s.value;
  }

  // ---- scalars ------------------------------------------------------------------------------------

  /** A one-line scalar at this.i; leaves this.i just after it. */
  private scalar(flow: boolean): { value: unknown; end: number } {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === DQ) return this.doubleQuoted();
    if (c === SQ) return this.singleQuoted();
    if (Number.isNaN(c) || c === NL || c === SP || forbiddenStart(c)) bail();
    if ((c === DASH || c === 63 || c === COLON)) {
      const next = t.charCodeAt(this.i + 1);
      if (Number.isNaN(next) || next === SP || next === NL || (flow && isFlowIndicator(next))) bail();
    }
    const start = this.i;
    let j = this.i;
    let end = j; // end of the last non-space character
    for (;;) {
      if (j >= this.n) break;
      const d = t.charCodeAt(j);
      if (d === NL) break;
      if (d === SP) { j++; continue; }
      if (d === HASH && t.charCodeAt(j - 1) === SP) break;
      if (d === COLON) {
        const e = t.charCodeAt(j + 1);
        if (Number.isNaN(e) || e === SP || e === NL || (flow && isFlowIndicator(e))) break;
      }
      if (flow && isFlowIndicator(d)) break;
      j++;
      end = j;
    }
    if (flow) {
      // a plain scalar in a flow collection may continue on the next line: leave that to yaml
      let k = end;
      while (k < this.n && t.charCodeAt(k) === SP) k++;
      if (t.charCodeAt(k) === NL) {
        let m = k + 1;
        for (;;) {
          while (m < this.n && t.charCodeAt(m) === SP) m++;
          if (t.charCodeAt(m) === NL) { m++; continue; }
          break;
        }
        const next = t.charCodeAt(m);
        if (!(next === COMMA || next === RBRACK || next === RBRACE || next === HASH)) bail();
      }
    }
    this.i = end;
    return { value: resolvePlain(t.slice(start, end)), end };
  }

  private doubleQuoted(): { value: string; end: number } {
    const t = this.t;
    let j = this.i + 1;
    let out = '';
    let from = j;
    for (;;) {
      if (j >= this.n) bail();
      const c = t.charCodeAt(j);
      if (c === DQ) break;
      if (c === NL) bail(); // multi-line: folding rules, leave to yaml
      if (c === 92 /* \ */) {
        out += t.slice(from, j);
        const e = t[j + 1];
        let len = 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case '0': out += '\0'; break;
          case 'u': {
            const hex = t.slice(j + 2, j + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) bail();
            out += String.fromCharCode(parseInt(hex, 16));
            len = 6;
            break;
          }
          default: bail();
        }
        j += len;
        from = j;
        continue;
      }
      j++;
    }
    out += t.slice(from, j);
    this.i = j + 1;
    return { value: out, end: this.i };
  }

  private singleQuoted(): { value: string; end: number } {
    const t = this.t;
    let j = this.i + 1;
    let out = '';
    let from = j;
    for (;;) {
      const q = t.indexOf("'", j);
      const nl = t.indexOf('\n', j);
      if (q === -1 || (nl !== -1 && nl < q)) bail();
      if (t.charCodeAt(q + 1) === SQ) {
        out += t.slice(from, q + 1);
        j = q + 2;
        from = j;
        continue;
      }
      out += t.slice(from, q);
      this.i = q + 1;
      return { value: out, end: this.i };
    }
  }

  private record(pointer: string, start: number, end: number, key: [number, number] | undefined): void {
    if (key) this.sink(pointer, start, end, key[0], key[1]);
    else this.sink(pointer, start, end);
  }
}

function escapeSegment(s: string): string {
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}
