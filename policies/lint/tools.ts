// What lint rules know about tools: the known tool set (manifests), glob expansion, and whether a
// tool can change things, destroys things or moves money — from MCP annotations, else from its name.

import { globMatch, isGlob } from '../glob';
import type { ToolInfo } from '../types';
import type { LintContext } from './types';

/** Verbs that make a tool able to change things (name heuristic, used when annotations are unknown). */
const WRITE = new Set(['write', 'edit', 'update', 'create', 'delete', 'remove', 'move', 'rename', 'exec', 'execute', 'run',
  'send', 'post', 'put', 'patch', 'set', 'insert', 'upsert', 'add', 'drop', 'truncate', 'deploy', 'restart', 'stop', 'kill',
  'terminate', 'install', 'uninstall', 'publish', 'push', 'commit', 'merge', 'reset', 'clean', 'purge', 'wipe', 'erase',
  'destroy', 'revoke', 'grant', 'approve', 'cancel', 'issue', 'submit', 'upload', 'modify', 'change', 'save', 'store',
  'append', 'mutate', 'shell', 'eval', 'invoke', 'trigger', 'rm', 'mv', 'mkdir', 'chmod', 'chown', 'overwrite', 'replace']);
/** Verbs that destroy data or run arbitrary code: they need a human before they run. */
const DESTRUCTIVE = new Set(['delete', 'remove', 'rm', 'drop', 'destroy', 'purge', 'wipe', 'erase', 'truncate', 'reset',
  'clean', 'kill', 'terminate', 'revoke', 'overwrite', 'uninstall', 'exec', 'execute', 'run', 'eval', 'shell']);
/** Verbs that move money by themselves. */
const MONEY_VERBS = new Set(['pay', 'transfer', 'refund', 'charge', 'withdraw', 'wire', 'purchase', 'buy', 'sell', 'payout']);
/** Verbs that only look: a name starting with one changes nothing unless a destructive or money verb follows. */
const READ = new Set(['get', 'list', 'read', 'search', 'find', 'fetch', 'query', 'view', 'show', 'describe', 'count', 'lookup',
  'inspect', 'browse', 'open', 'stat', 'check', 'download', 'echo', 'explain', 'preview', 'diff', 'status', 'info']);
/** Nouns that make a changing tool financial. */
const MONEY_NOUNS = new Set(['payment', 'payments', 'payout', 'payouts', 'invoice', 'invoices', 'funds', 'money', 'transaction',
  'transactions', 'refund', 'refunds', 'transfer', 'transfers', 'wire', 'charge', 'charges']);

/** What a tool may do, and how we know. */
export interface ToolNature {
  changes: boolean;
  destructive: boolean;
  financial: boolean;
  /** `annotations` when the manifest's MCP annotations decided, else `name` */
  basis: 'annotations' | 'name';
}

/** Split a tool name into lowercase words: `issue_payment`, `issuePayment`, `git-reset` → words. */
export function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
}

/**
 * Whether a name (an argument, an environment variable) holds a secret. The last word says what the value is:
 * `api_token` and `GITHUB_TOKEN` are tokens, `token_count` and `MAX_TOKENS` are not; a key is secret after
 * api, private, secret, access, signing or ssh.
 */
export function secretName(name: string): boolean {
  const w = words(name);
  const last = w.at(-1) ?? '';
  if (['password', 'passwd', 'passphrase', 'secret', 'token', 'credential', 'credentials', 'apikey', 'cookie', 'authorization', 'bearer', 'pat'].includes(last)) return true;
  if (last === 'pem') return true;
  return last === 'key' && ['api', 'private', 'secret', 'access', 'signing', 'ssh'].includes(w.at(-2) ?? '');
}

const natures = new Map<string, ToolNature>();
const infoNatures = new WeakMap<ToolInfo, ToolNature>();

/** Classify a tool: MCP annotations when the manifest has them (`readOnlyHint: true` is never destructive), else its name. */
export function toolNature(name: string, info?: ToolInfo): ToolNature {
  const cached = info ? infoNatures.get(info) : natures.get(name);
  if (cached) return cached;
  const n = classify(name, info);
  if (info) infoNatures.set(info, n);
  else if (natures.size < 10_000) natures.set(name, n);
  return n;
}

function classify(name: string, info?: ToolInfo): ToolNature {
  const w = words(name);
  const strong = w.some((x) => DESTRUCTIVE.has(x) || MONEY_VERBS.has(x));
  const nameChanges = strong || (!READ.has(w[0] ?? '') && w.some((x) => WRITE.has(x)));
  const money = w.some((x) => MONEY_VERBS.has(x) || MONEY_NOUNS.has(x));
  const a = info?.annotations;
  if (a && (a.readOnlyHint !== undefined || a.destructiveHint !== undefined)) {
    // INVARIANT: per the MCP spec, readOnlyHint: true means the tool changes nothing, whatever destructiveHint says;
    // otherwise destructiveHint defaults to true.
    if (a.readOnlyHint === true) return { changes: false, destructive: false, financial: false, basis: 'annotations' };
    return { changes: true, destructive: a.destructiveHint !== false, financial: money, basis: 'annotations' };
  }
  return { changes: nameChanges, destructive: w.some((x) => DESTRUCTIVE.has(x)), financial: nameChanges && money, basis: 'name' };
}

/**
 * For a glob read without a manifest: a tool name it could match that can change things (`*_file` → `delete_file`),
 * or undefined when it cannot say so — the glob's fixed start holds a reading verb (`read_*`, `github_list_*`) or the glob
 * itself names a changing verb (then `toolNature` of the pattern already says so).
 */
export function globMayChange(pattern: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star < 0) return undefined;
  const head = words(pattern.slice(0, star));
  // a reading verb anywhere in the fixed start reads as read-only: `read_*`, and server-prefixed `github_get_*`
  if (head.some((w) => READ.has(w))) return undefined;
  // put a destroying verb where the first star is, as its own word
  const before = pattern.slice(0, star);
  const after = pattern.slice(star + 1).replace(/\*/g, '');
  const sep = (s: string): string => (s !== '' && /[A-Za-z0-9]$/.test(s) ? '_' : '');
  const name = `${before}${sep(before)}delete${after !== '' && /^[A-Za-z0-9]/.test(after) ? '_' : ''}${after}`;
  return classify(name).changes ? name : undefined;
}

interface Memo { known: Map<string, ToolInfo>; expansions: Map<string, Array<{ name: string; info?: ToolInfo }>> }
// INVARIANT: a LintContext is never mutated while rules run, so what is derived from it can be kept per context.
const memos = new WeakMap<LintContext, Memo>();

function memo(ctx: LintContext): Memo {
  let m = memos.get(ctx);
  if (!m) memos.set(ctx, (m = { known: collect(ctx), expansions: new Map() }));
  return m;
}

/** Every tool the linter knows of, by name: `--tools` and each server's manifest. */
export function knownTools(ctx: LintContext): ReadonlyMap<string, ToolInfo> {
  return memo(ctx).known;
}

/** `expand` against the context's known tools, memoised per pattern. */
export function expandIn(ctx: LintContext, pattern: string): ReadonlyArray<{ name: string; info?: ToolInfo }> {
  const m = memo(ctx);
  let hit = m.expansions.get(pattern);
  if (!hit) m.expansions.set(pattern, (hit = expand(pattern, m.known, hasManifest(ctx))));
  return hit;
}

function collect(ctx: LintContext): Map<string, ToolInfo> {
  const out = new Map<string, ToolInfo>();
  for (const t of ctx.tools?.tools ?? []) out.set(t.name, t);
  for (const m of Object.values(ctx.serverTools ?? {})) for (const t of m.tools) if (!out.has(t.name)) out.set(t.name, t);
  return out;
}

/** True when some manifest is known, so tool names can be checked against it. */
export function hasManifest(ctx: LintContext): boolean {
  return ctx.tools !== undefined || Object.keys(ctx.serverTools ?? {}).length > 0;
}

/** The tool patterns of a grant or deny rule with their pointers. */
export function toolEntries(rule: { tool?: string; tools?: string[] }, base: string): ReadonlyArray<{ pattern: string; pointer: string }> {
  const hit = entries.get(rule);
  if (hit && hit.base === base) return hit.list;
  const list = rule.tools ? rule.tools.map((pattern, i) => ({ pattern, pointer: `${base}/tools/${i}` }))
    : rule.tool !== undefined ? [{ pattern: rule.tool, pointer: `${base}/tool` }] : [];
  entries.set(rule, { base, list });
  return list;
}

// INVARIANT: rules never mutate the policy, so a grant's tool entries are computed once per grant object.
const entries = new WeakMap<object, { base: string; list: ReadonlyArray<{ pattern: string; pointer: string }> }>();

/** The tools a pattern names: the manifest's matches for a glob, else the name itself. */
export function expand(pattern: string, known: ReadonlyMap<string, ToolInfo>, manifest: boolean): Array<{ name: string; info?: ToolInfo }> {
  if (!isGlob(pattern)) {
    const info = known.get(pattern);
    return [info ? { name: pattern, info } : { name: pattern }];
  }
  if (!manifest) return [{ name: pattern }];
  const out: Array<{ name: string; info: ToolInfo }> = [];
  for (const [name, info] of known) if (globMatch(pattern, name)) out.push({ name, info });
  return out;
}

/** True when a pattern is only stars: it names every tool there is or will be. */
export function isMatchAll(pattern: string): boolean {
  return /^\*+$/.test(pattern);
}

/**
 * True when deny pattern `p` matches every name grant pattern `g` can match. Sound, not complete:
 * `g`'s stars are matched as literal characters, which only `p`'s stars can absorb.
 */
export function covers(p: string, g: string): boolean {
  return globMatch(p, g);
}

/** How findings name a grant: by its `id`, else by its place in `grants`. */
export function grantLabel(g: { id?: string }, i: number): string {
  return g.id !== undefined ? `grant \`${g.id}\`` : `grants[${i}]`;
}

/** The scopes a grant or deny rule names (its `scope`, one name or a list). */
export function scopeNames(scope: string | string[] | undefined): string[] {
  return scope === undefined ? [] : Array.isArray(scope) ? scope : [scope];
}

/** The tools a grant names (its `tool` or `tools`). */
export function grantTools(g: { tool?: string; tools?: string[] }): string[] {
  return g.tools ?? (g.tool !== undefined ? [g.tool] : []);
}

/** Days → ms. */
export const DAY_MS = 86_400_000;

/** The expiry horizon for emergency grants, in days (policy `lint.expiry_horizon_days`, default 30). */
export function horizonDays(ctx: LintContext): number {
  return ctx.policy.lint?.expiry_horizon_days ?? 30;
}

/** An ISO timestamp (seconds precision) `days` after `now`. */
export function isoAfter(now: number, days: number): string {
  return new Date(now + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
