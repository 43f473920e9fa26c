// Strict policy parsing: YAML/JSON text → schema-valid Policy with source positions, or findings.
// Only a policy that passes here may ever reach decide(); the editor's tolerant parse is separate.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isPair, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import schema from './schema/mandate.schema.json';
import validatePolicy from './schema/validate.generated.cjs';
import type { Finding } from './findings';
import { fastParseYaml } from './fastYaml';
import { buildSourceMap, childPointer, keyName, SourceMap } from './source';
import type { Policy } from './types';

/** A policy that parsed and passed the schema. */
export interface ParsedPolicy {
  file: string;
  text: string;
  policy: Policy;
  source: SourceMap;
}

export type ParseResult =
  | { ok: true; parsed: ParsedPolicy; findings: Finding[] }
  | { ok: false; findings: Finding[]; source?: SourceMap; value?: unknown };

/** Upper bound on a policy file's size; larger input is refused, not parsed. */
export const MAX_POLICY_BYTES = 8 * 1024 * 1024;
/** The most a reader need take from a policy file: MAX_POLICY_BYTES characters of at most 3 UTF-8 bytes each. */
export const POLICY_READ_LIMIT = 3 * MAX_POLICY_BYTES;

/**
 * The schema's validator (ajv, strict mode, all errors, verbose), compiled ahead of time by
 * scripts/gen-validator.mjs: compiling it at run time cost ~300 ms of every command's start.
 */
export function schemaValidator(): ValidateFunction {
  return validatePolicy;
}

/** Which `definitions` entry an error's parent schema is (the generated code holds copies, not these objects). */
const definitionByText = new Map(Object.entries(schema.definitions).map(([name, def]) => [JSON.stringify(def), name]));
function definitionOf(parentSchema: unknown): string | undefined {
  return parentSchema && typeof parentSchema === 'object' ? definitionByText.get(JSON.stringify(parentSchema)) : undefined;
}

/**
 * A policy file's bytes as text, or a `syntax` finding at the first byte that is not UTF-8. INVARIANT: a policy is
 * never read with bytes replaced: U+FFFD in a deny rule's `in` or `pattern` would block nothing the author wrote.
 */
export function decodePolicy(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; findings: Finding[] } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    // not UTF-8: find where (the scan agrees with the decoder — a property test holds it to that)
  }
  const bad = Math.max(0, firstInvalidUtf8(bytes));
  const text = new TextDecoder('utf-8', { ignoreBOM: true });
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) { line++; lineStart = i + 1; }
  const col = text.decode(bytes.subarray(lineStart, bad)).length + 1;
  const at = { line, col };
  const byte = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
  return { ok: false, findings: [{ rule: 'syntax', severity: 'error', message: `the file is not UTF-8 text (byte 0x${byte}): save it as UTF-8`, pointer: '', range: { file, start: at, end: at } }] };
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    // lead byte: how many continuation bytes, and the range the first of them must fall in (no overlong forms, no surrogates, ≤ U+10FFFF)
    const [n, lo, hi] = c >= 0xc2 && c <= 0xdf ? [1, 0x80, 0xbf] : c === 0xe0 ? [2, 0xa0, 0xbf] : c === 0xed ? [2, 0x80, 0x9f]
      : c >= 0xe1 && c <= 0xef ? [2, 0x80, 0xbf] : c === 0xf0 ? [3, 0x90, 0xbf] : c >= 0xf1 && c <= 0xf3 ? [3, 0x80, 0xbf] : c === 0xf4 ? [3, 0x80, 0x8f] : [0, 0, 0];
    if (n === 0 || i + n >= b.length) return i;
    if (b[i + 1]! < lo || b[i + 1]! > hi) return i;
    for (let k = 2; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** Parse YAML or JSON policy text. `file` names it in every finding. */
export function parsePolicy(input: string, file: string): ParseResult {
  // a byte order mark is no part of the text: editors do not show it, so columns on line 1 start after it
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.length > MAX_POLICY_BYTES) {
    const range = { file, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
    return { ok: false, findings: [{ rule: 'syntax', severity: 'error', message: `policy file is larger than ${MAX_POLICY_BYTES} bytes`, pointer: '', range }] };
  }
  // INVARIANT: a `.json` policy is JSON: YAML reads `{"a": 1,}` (and comments, single quotes, bare words) without a
  // word, where the editor's JSON validation and every other JSON reader of the file refuse it
  if (/\.json$/i.test(file)) {
    const notJson = jsonError(text, file);
    if (notJson) return { ok: false, findings: [notJson], source: new SourceMap(file, text) };
  }
  const read = readYaml(text, file);
  if (!read.ok) return { ok: false, findings: read.findings, source: read.source };
  const { value, source } = read;
  const findings = schemaFindings(value, source);
  if (findings.length > 0) return { ok: false, findings, source, value };
  return { ok: true, parsed: { file, text, policy: value as Policy, source }, findings: [] };
}

/** Why `text` is not JSON, at the character where it stops being JSON; undefined when it is JSON. */
function jsonError(text: string, file: string): Finding | undefined {
  const failure = (t: string): string | undefined => {
    try {
      JSON.parse(t);
      return undefined;
    } catch (err) {
      return String((err as Error).message);
    }
  };
  const message = failure(text);
  if (message === undefined) return undefined;
  // JSON.parse names the place for some errors only (`Unexpected token ']', "…" is not valid JSON` names none), so
  // the place is found as the shortest start of the text that is already wrong, not merely unfinished — once wrong,
  // every longer start is wrong too, so a binary search finds it
  const wrong = (k: number): boolean => {
    const m = failure(text.slice(0, k));
    if (m === undefined || /end of JSON input/.test(m)) return false;
    const at = /at position (\d+)/.exec(m);
    return !(at && Number(at[1]) >= k);
  };
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (wrong(mid)) hi = mid;
    else lo = mid + 1;
  }
  const offset = wrong(lo) ? lo - 1 : text.length;
  const why = message.replace(/, .*is not valid JSON$/s, '').replace(/ (?:in JSON )?at position \d+.*$/s, '').replace(/ of JSON input$/, '');
  const range = new SourceMap(file, text).offsetRange(offset, Math.min(offset + 1, text.length));
  return { rule: 'syntax', severity: 'error', message: `not valid JSON: ${why} (a \`.json\` policy is read as JSON; name it \`.yaml\` to write YAML)`, pointer: '', range };
}

type Read = { ok: true; value: unknown; source: SourceMap } | { ok: false; findings: Finding[]; source: SourceMap };

/**
 * YAML (or JSON) text → value and source map. The fast path handles the block and flow YAML policies
 * are written in; everything else, and every error, goes through the `yaml` package, which has the
 * last word on what the text means (see fastYaml.ts).
 */
function readYaml(text: string, file: string): Read {
  const fastSource = new SourceMap(file, text);
  const fast = fastParseYaml(text, (pointer, start, end, keyStart, keyEnd) => fastSource.setOffsets(pointer, start, end, keyStart, keyEnd));
  if (fast) return { ok: true, value: fast.value, source: fastSource };
  // `uniqueKeys: false`: the package's own check compares every key with every other (a 30,000-key file took
  // seconds); duplicates are found below with a set, by the names the keys have once read
  // `resolveKnownTags: false`: !!omap, !!set, !!binary, !!timestamp would make Maps, Sets, Buffers and Dates, which
  // the schema sees as objects without members (a scope's `args: !!omap [...]` checked nothing); refused below
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, resolveKnownTags: false });
  const source = buildSourceMap(file, text, doc.contents);
  // running out of stack is reported once per level the package unwinds through: the first says it
  const errors = doc.errors.filter((e, i) => e.code !== 'RESOURCE_EXHAUSTION' || doc.errors.findIndex((f) => f.code === e.code) === i);
  const problems: Array<{ rule: string; message: string; start: number; end: number }> = errors.map((e) => ({
    rule: e.code === 'DUPLICATE_KEY' ? 'syntax/duplicate-key' : 'syntax', message: yamlMessage(e.code, e.message), start: e.pos[0], end: e.pos[1],
  }));
  for (const w of doc.warnings) {
    if (w.code === 'TAG_RESOLVE_FAILED' || w.code === 'BAD_COLLECTION_TYPE') {
      const tag = text.slice(w.pos[0], w.pos[1]).trim();
      problems.push({ rule: 'syntax', message: `YAML tag \`${tag}\` is not allowed: a policy holds plain values (mappings, lists, strings, numbers, booleans, null)`, start: w.pos[0], end: w.pos[1] });
    }
  }
  if (doc.directives.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    const at = Math.max(0, text.search(/^%YAML/m));
    problems.push({ rule: 'syntax', message: `\`%YAML ${doc.directives.yaml.version}\` is not supported: policies are YAML 1.2 (remove the directive)`, start: at, end: text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at) });
  }
  problems.push(...keyProblems(doc.contents, source));
  if (problems.length > 0) {
    problems.sort((a, b) => a.start - b.start);
    const findings: Finding[] = problems.map((p) => ({ rule: p.rule, severity: 'error', message: p.message, pointer: '', range: source.offsetRange(p.start, p.end) }));
    return { ok: false, findings, source };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }), source };
  } catch (err) {
    const range = source.range('');
    return { ok: false, findings: [{ rule: 'syntax', severity: 'error', message: firstLine(String((err as Error).message)), pointer: '', range }], source };
  }
}

/** The `yaml` package's message in policy words where its own names its API or the engine's internals. */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a policy file holds one YAML document; a second one starts here (remove the `---` line and what follows, or move it to its own file)';
  if (code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(message)) return 'nested too deeply to read: a policy needs a handful of levels, this one goes deeper than the parser follows';
  return firstLine(message);
}

/**
 * Keys a plain object cannot hold as written: one name twice (also `true` and `"true"`, `1` and `"1"`, which
 * read as the same name, the later silently replacing the earlier), and keys that are collections or aliases.
 */
function keyProblems(root: unknown, source: SourceMap): Array<{ rule: string; message: string; start: number; end: number }> {
  const out: Array<{ rule: string; message: string; start: number; end: number }> = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        const range = (k as YamlNode | null)?.range;
        const [start, end] = range ? [range[0], range[1]] : [node.range?.[0] ?? 0, node.range?.[0] ?? 0];
        const name = keyName(k);
        if (name === undefined) {
          out.push({ rule: 'syntax', message: 'a key must be a name (a string), not a collection or an alias', start, end });
        } else if (seen.has(name)) {
          const first = source.offsetRange(seen.get(name)!, seen.get(name)!).start;
          out.push({ rule: 'syntax/duplicate-key', message: `duplicate key \`${name}\` (first at ${first.line}:${first.col}): a key may appear once in a mapping`, start, end });
        } else {
          seen.set(name, start);
        }
        stack.push(pair.value);
      }
    }
  }
  return out;
}

/** Validate an already-parsed value against the schema, as findings with source ranges. */
export function schemaFindings(value: unknown, source: SourceMap): Finding[] {
  const validate = schemaValidator();
  if (validate(value)) return [];
  const errors = selectErrors(validate.errors ?? []);
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const e of errors) {
    const f = toFinding(e, source);
    const key = `${f.pointer}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

/**
 * The only combinators left in the schema are the `tool`/`tools` and `never`/`always` choices:
 * report the choice once, in policy words, instead of each branch's `required` error.
 */
function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const choices = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  return errors.filter((e) => !(e.schemaPath.startsWith('#/oneOf/') && choices.has(e.instancePath)) && e.keyword !== 'propertyNames');
}

function toFinding(e: ErrorObject, source: SourceMap): Finding {
  const at = e.instancePath;
  const where = describe(at);
  const finding = (rule: string, message: string, pointer: string, key = false): Finding => ({
    rule, severity: 'error', message, pointer, range: key ? source.keyRange(pointer) : source.range(pointer),
  });
  const p = e.params as Record<string, unknown>;
  const propertyName = (e as { propertyName?: unknown }).propertyName ?? p['propertyName'];
  if (typeof propertyName === 'string') {
    // a key of a map (a role, scope or server name) that its name rule refuses: point at that key
    const name = propertyName;
    return finding('schema/name', `name \`${name}\` in ${where} may contain only letters, digits and \`_ . : -\``, childPointer(at, name), true);
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const ptr = childPointer(at, name);
      const def = definitionOf(e.parentSchema);
      if (def === 'constraint' || def === 'contextConstraint') {
        return finding('schema/unknown-operator', `unknown operator \`${name}\` in ${where} (known: ${CONSTRAINT_OPS})`, ptr, true);
      }
      // the fields this object takes: a misplaced key (a test's `at`, which goes in `call`) is found by reading them
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      return finding('schema/unknown-field', `unknown field \`${name}\` in ${where}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`, ptr, true);
    }
    case 'required':
      return finding('schema/missing-field', `${where} is missing \`${String(p['missingProperty'])}\``, at);
    case 'type': {
      const hint = (e.parentSchema as { description?: string } | undefined)?.description;
      const types = Array.isArray(p['type']) ? (p['type'] as string[]) : String(p['type']).split(',');
      return finding('schema/type', types.length > 1 && hint ? `${where}: ${hint.replace(/\.$/, '').replace(/^A/, 'expected a')}` : `${where} must be ${article(types[0] ?? 'value')}`, at);
    }
    case 'const':
      return finding('schema/value', `${where} must be \`${JSON.stringify(p['allowedValue'])}\``, at);
    case 'enum':
      return finding('schema/value', `${where} must be one of ${(p['allowedValues'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`, at);
    case 'format':
      return finding('schema/format', `${where} must be an ISO 8601 date-time such as \`2026-12-31T23:59:59Z\``, at);
    case 'pattern':
      return finding('schema/name', `${where} may contain only letters, digits and \`_ . : - ${at.includes('tool') ? '* /' : ''}\``.replace(/ `$/, '`'), at);
    case 'oneOf': {
      const def = definitionOf(e.parentSchema);
      if (def === 'grant' || def === 'denyRule') {
        return finding('schema/tool-or-tools', `${where} must name \`tool\` or \`tools\`, exactly one of them`, at);
      }
      if (def === 'invariant') {
        return finding('schema/never-or-always', `${where} must have \`never\` or \`always\`, exactly one of them`, at);
      }
      return finding('schema/shape', `${where} does not have any of the accepted shapes`, at);
    }
    default:
      return finding(`schema/${e.keyword}`, `${where} ${e.message ?? 'is invalid'}`, at);
  }
}

const CONSTRAINT_OPS = 'equals, in, not_in, min, max, pattern, prefix, within, max_length, type, not';


/** A JSON pointer in policy words: `/grants/2/scope` → "grants[2].scope". */
export function describe(pointer: string): string {
  if (pointer === '') return 'the policy';
  const parts = pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  return `\`${out}\``;
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/\.$/, '').replace(/^[A-Z]/, (c) => c.toLowerCase());
}
