// Reading policy and manifest files for commands: precise errors (file:line:col), never a stack trace.

import { readFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { formatFinding, parsePolicy, type Finding, type ParsedPolicy, type ToolManifest } from '../../policies';
import { CliError } from './io';

/** Show paths relative to cwd when they are inside it (as users typed them). */
export function displayPath(path: string, cwd: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

/** Read a file as UTF-8 or throw a CliError that says why. */
export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CliError(`cannot read ${what} \`${path}\`: ${why}`);
  }
}

/** Parse a policy file for decisions: syntax and schema errors are fatal, printed with positions. */
export function loadPolicy(path: string, cwd: string): ParsedPolicy {
  const r = parsePolicy(readText(path, 'policy'), displayPath(path, cwd));
  if (!r.ok) throw new CliError(policyErrors(r.findings));
  return r.parsed;
}

/** Render a policy's fatal findings. */
export function policyErrors(findings: readonly Finding[]): string {
  return [`invalid policy (${findings.length} error${findings.length === 1 ? '' : 's'}):`, ...findings.map(formatFinding)].join('\n');
}

/** Read a saved `tools/list` result: `{"tools": [{"name", "inputSchema", "annotations"}]}`. */
export function loadManifest(path: string): ToolManifest {
  const text = readText(path, 'tool manifest');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`tool manifest \`${path}\` is not valid JSON: ${(err as Error).message}`);
  }
  const tools = (value as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools) || !tools.every((t) => t && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string')) {
    throw new CliError(`tool manifest \`${path}\` must be a tools/list result: {"tools": [{"name": …}]}`);
  }
  return value as ToolManifest;
}
