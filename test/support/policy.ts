// Test helpers: parse policy text strictly (failing the test on findings) and build calls.

import assert from 'node:assert/strict';
import { compile, parsePolicy, type Call, type CompiledPolicy, type ParsedPolicy } from '../../policies';

/** Parse YAML policy text; a schema or syntax error fails the test with its findings. */
export function parseOk(text: string, file = 'test.mandate.yaml'): ParsedPolicy {
  const r = parsePolicy(text, file);
  if (!r.ok) assert.fail(`policy did not parse:\n${r.findings.map((f) => `${f.range.start.line}:${f.range.start.col} ${f.message}`).join('\n')}`);
  return r.parsed;
}

/** Parse and compile. */
export function compiled(text: string, file?: string): CompiledPolicy {
  return compile(parseOk(text, file));
}

export const NOW = Date.parse('2026-06-01T00:00:00Z');

/** A call with defaults: an authenticated principal, one role, now = NOW. */
export function call(role: string | string[], tool: string, args?: unknown, extra: Partial<Call> = {}): Call {
  return { principal: 'agent-1', roles: Array.isArray(role) ? role : [role], tool, args, now: NOW, ...extra };
}
