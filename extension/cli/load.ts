// Reading policy and manifest files for commands: precise errors (file:line:col), never a stack trace.

import { statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { decodeAuditLog, decodePolicy, formatFinding, parsePolicy, POLICY_READ_LIMIT, verifyChain, type DecodedLog, type Finding, type ParsedPolicy, type RecordAnchor, type ServerDef, type ToolManifest, type VerifyResult } from '../../policies';
import { sha256 } from '../proxy/hash';
import { READ_LIMIT, readFailure, readFileBounded } from '../proxy/readBounded';
import { CliError, println, type Io } from './io';

/** Show paths relative to cwd when they are inside it (as users typed them). */
export function displayPath(path: string, cwd: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

/** The most a saved tools/list result may hold (the proxy refuses any message over 4 MiB). */
export const MANIFEST_READ_LIMIT = 64 * 1024 * 1024;

/** Read a file as UTF-8 (without a leading byte order mark) or throw a CliError that says why. */
export function readText(path: string, what: string, limit = READ_LIMIT): string {
  const text = readBytes(path, what, limit).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Read a file's bytes or throw a CliError that says why. Devices (/dev/zero, a terminal) are refused: they never
 * end; a pipe (`<(…)`, /dev/stdin) is read, but never past `limit` bytes.
 */
export function readBytes(path: string, what: string, limit = READ_LIMIT): Buffer {
  try {
    return readFileBounded(path, limit);
  } catch (err) {
    throw new CliError(`cannot read ${what} \`${path}\`: ${readFailure(err)}`);
  }
}

/** An audit log as read once: its text (lines that are not valid UTF-8 hold U+FFFD) and which line first is not. */
export interface AuditLogFile extends DecodedLog {
  file: string;
}

/**
 * Read an audit log once. Verify and read records from this one read (`verifyAuditLog`), so nothing
 * appended in between is read unverified.
 */
export function readAuditLog(file: string, bytes = readBytes(file, 'audit log')): AuditLogFile {
  return { file, ...decodeAuditLog(bytes) };
}

/** Verify a log as read (its chain, and that every byte is UTF-8). */
export function verifyAuditLog(log: DecodedLog, anchors: readonly RecordAnchor[] = []): VerifyResult {
  return verifyChain(log, sha256, anchors);
}

/** The one line that says where a log fails verification. */
export function brokenLog(file: string, bad: VerifyResult['bad']): string {
  return `audit log \`${file}\` fails verification at line ${bad?.line}: ${bad?.why}`;
}

/** Verify a log a command reads and, when it fails, say so on stderr (naming the first bad line); the command goes on. */
export function warnIfBroken(log: AuditLogFile, io: Io): void {
  const v = verifyAuditLog(log);
  if (!v.ok) println(io.stderr, `warning: ${brokenLog(log.file, v.bad)} (its records may have been changed; see \`mandate audit verify\`)`);
}

/** Parse a policy file for decisions: encoding, syntax and schema errors are fatal, printed with positions. */
export function loadPolicy(path: string, cwd: string): ParsedPolicy {
  const text = readPolicyText(path, displayPath(path, cwd));
  if (!text.ok) throw new CliError(policyErrors(text.findings));
  const r = parsePolicy(text.text, displayPath(path, cwd));
  if (!r.ok) throw new CliError(policyErrors(r.findings));
  return r.parsed;
}

/** A policy file's text, or the finding that says where it is not UTF-8 (`display`: its name in findings). */
export function readPolicyText(path: string, display: string): ReturnType<typeof decodePolicy> {
  return decodePolicy(readBytes(path, 'policy', POLICY_READ_LIMIT), display);
}

/** Render a policy's fatal findings. */
export function policyErrors(findings: readonly Finding[]): string {
  return [`invalid policy (${findings.length} error${findings.length === 1 ? '' : 's'}):`, ...findings.map(formatFinding)].join('\n');
}

/** Read a saved `tools/list` result: `{"tools": [{"name", "inputSchema", "annotations"}]}`. */
export function loadManifest(path: string): ToolManifest {
  const text = readText(path, 'tool manifest', MANIFEST_READ_LIMIT);
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

/**
 * Where a server's `tools_manifest` is: against the policy's folder. A policy read from a pipe (`<(…)`, /dev/stdin)
 * has no folder, so a relative one is an error that says so (it used to name `/dev/fd/finance.tools.json`).
 */
export function manifestPath(policyPath: string, cwd: string, manifest: string, server?: string): string {
  const policy = resolve(cwd, policyPath);
  if (!isAbsolute(manifest) && !isRegularFile(policy)) {
    const what = server === undefined ? 'it' : `tools_manifest \`${manifest}\` of server \`${server}\``;
    throw new CliError(`${what} is relative to the policy's folder, but the policy was read from a pipe: give the policy as a file (or the manifest as an absolute path)`);
  }
  return resolve(dirname(policy), manifest);
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // unreadable now: the read that follows says why
  }
}

/**
 * The tools a decision about this policy may know: the manifests given (`--tools`, against cwd), then each governed
 * server's saved `tools_manifest` (against the policy's folder); the first definition of a name wins. The proxy
 * decides with the schema its server lists, so `check` and `test` read the same saved lists `lint` and `simulate` read.
 * `perServer` adds more after each server's saved list (`simulate --live`: what it lists now).
 */
export async function policyTools(parsed: ParsedPolicy, policyPath: string, cwd: string, given: readonly string[] = [],
  perServer?: (name: string, server: ServerDef, base: string) => Promise<ToolManifest | undefined>): Promise<ToolManifest | undefined> {
  const byName = new Map<string, ToolManifest['tools'][number]>();
  const add = (m: ToolManifest | undefined): void => {
    for (const t of m?.tools ?? []) if (!byName.has(t.name)) byName.set(t.name, t);
  };
  for (const m of given) add(loadManifest(resolve(cwd, m)));
  const base = dirname(resolve(cwd, policyPath));
  for (const [name, server] of Object.entries(parsed.policy.servers ?? {})) {
    if (server.tools_manifest !== undefined) add(loadManifest(manifestPath(policyPath, cwd, server.tools_manifest, name)));
    if (perServer) add(await perServer(name, server, base));
  }
  return byName.size > 0 ? { tools: [...byName.values()] } : undefined;
}
