// Strict policy parsing: YAML/JSON text → schema-valid Policy with source positions, or findings.
// Only a policy that passes here may ever reach decide(); the editor's tolerant parse is separate.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import schema from './schema/mandate.schema.json';
import validatePolicy from './schema/validate.generated.cjs';
import type { Finding } from './findings';
import { fastParseYaml } from './fastYaml';
import { buildSourceMap, childPointer, SourceMap } from './source';
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

/** Parse YAML or JSON policy text. `file` names it in every finding. */
export function parsePolicy(text: string, file: string): ParseResult {
  if (text.length > MAX_POLICY_BYTES) {
    const range = { file, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
    return { ok: false, findings: [{ rule: 'syntax', severity: 'error', message: `policy file is larger than ${MAX_POLICY_BYTES} bytes`, pointer: '', range }] };
  }
  const read = readYaml(text, file);
  if (!read.ok) return { ok: false, findings: read.findings, source: read.source };
  const { value, source } = read;
  const findings = schemaFindings(value, source);
  if (findings.length > 0) return { ok: false, findings, source, value };
  return { ok: true, parsed: { file, text, policy: value as Policy, source }, findings: [] };
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
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const source = buildSourceMap(file, text, doc.contents);
  if (doc.errors.length > 0) {
    const findings: Finding[] = doc.errors.map((e) => ({
      rule: e.code === 'DUPLICATE_KEY' ? 'syntax/duplicate-key' : 'syntax',
      severity: 'error',
      message: firstLine(e.message),
      pointer: '',
      range: source.offsetRange(e.pos[0], e.pos[1]),
    }));
    return { ok: false, findings, source };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }), source };
  } catch (err) {
    const range = source.range('');
    return { ok: false, findings: [{ rule: 'syntax', severity: 'error', message: firstLine(String((err as Error).message)), pointer: '', range }], source };
  }
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
      return finding('schema/unknown-field', `unknown field \`${name}\` in ${where}`, ptr, true);
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
