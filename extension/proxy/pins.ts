// Tool pinning: each server's tool definitions (name, input schema, annotations, description
// digest) are recorded on first sight; a later change fails calls to that tool until accepted.

import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson, type Json, type ToolInfo } from '../../policies';
import { sha256 } from './hash';
import { READ_LIMIT, readFileBounded } from './readBounded';
import { printable } from '../../policies';
import { makeDirs } from './makeDirs';

export interface Pin {
  name: string;
  input_schema: Json;
  annotations: Json;
  description_digest: string;
  /** SHA-256 of the canonical pin (the fields above) */
  digest: string;
  pinned_at: string;
  /** the description itself, for review (`mandate pins list`); not part of the digest (its digest is) */
  description?: string;
}

export interface PinFile {
  version: 1;
  server: string;
  tools: Record<string, Pin>;
  /** changed definitions seen but not accepted: calls to these tools fail closed */
  pending: Record<string, Pin>;
}

/** A definition that changed since it was pinned. */
export interface Drift {
  tool: string;
  pinned: Pin;
  seen: Pin;
}

/**
 * The pins file for a server inside a folder. INVARIANT: one file per name — characters outside
 * `[A-Za-z0-9_.-]` are written `%XX` (UTF-8), `%` included, so `pay/prod` and `pay_prod` never share a file.
 * A name that needs no escaping keeps the file it always had.
 */
export function pinsPath(dir: string, server: string): string {
  const encoded = Array.from(new TextEncoder().encode(server), (b) => {
    const c = String.fromCharCode(b);
    return b < 0x80 && /[A-Za-z0-9_.-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  // a file name is at most 255 bytes: a longer name keeps a prefix and the digest of the whole name (`~` is
  // escaped everywhere else, so such a name cannot meet an escaped one)
  const name = encoded.length <= 200 ? encoded : `${encoded.slice(0, 150)}~${sha256(server).slice(0, 32)}`;
  return join(dir, `${name}.json`);
}

/** Where versions before 2026-11-26 kept a server's pins (`/` and the like became `_`, so names collided). */
function legacyPinsPath(dir: string, server: string): string {
  return join(dir, `${server.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/**
 * The pins file for a server, carrying its pins over from where older versions kept them: a legacy file is
 * copied only when it says it belongs to this very server (it may be another's that shared the name).
 */
export function openPinsFile(dir: string, server: string): string {
  const file = pinsPath(dir, server);
  const legacy = legacyPinsPath(dir, server);
  if (legacy === file || existsSync(file) || !existsSync(legacy)) return file;
  let old: PinFile;
  try {
    old = readPins(legacy, server, true);
  } catch {
    // INVARIANT: a legacy file that cannot be read is not taken for "no pins" (everything would be pinned
    // afresh): it stays in use, so the store reports it and denies calls until it is fixed or moved aside
    return legacy;
  }
  if (old.server !== server) return file;
  try {
    writePins(file, old);
  } catch {
    return legacy; // INVARIANT: pins that cannot be carried over stay in force where they are, never dropped
  }
  try {
    // carried over: the legacy file is set aside, so it is neither listed nor read again
    renameSync(legacy, `${legacy}.migrated`);
  } catch {
    // still listed by `pins list` (as another file), harmless: the server reads its own file from now on
  }
  return file;
}

/** The pin of a tool definition as `tools/list` returned it. */
export function pinOf(t: ToolInfo, at: string): Pin {
  const body = {
    name: t.name,
    input_schema: (t.inputSchema ?? null) as Json,
    annotations: (t.annotations ?? null) as Json,
    description_digest: sha256(t.description ?? ''),
  };
  return { ...body, digest: sha256(canonicalJson(body)), pinned_at: at, ...(typeof t.description === 'string' ? { description: t.description } : {}) };
}

/**
 * Read a pins file; a missing file is an empty one. Throws on a file that is not a pins file, or (unless
 * `anyServer`) one that holds another server's pins — a file two names shared in older versions.
 */
export function readPins(file: string, server: string, anyServer = false): PinFile {
  let text: string;
  try {
    // read while serving: a pins file replaced by a pipe must not block the proxy
    text = readFileBounded(file, READ_LIMIT, { regularOnly: true }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, server, tools: {}, pending: {} };
    throw err;
  }
  const parsed: unknown = JSON.parse(text);
  // INVARIANT: every pin is checked before it is used: `null`, or a pin without its digest, was dereferenced
  // (`mandate pins list` stopped with "internal error", `null` said "Cannot read properties of null")
  const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObject(parsed)) throw new Error(`\`${file}\` is not a mandate pins file`);
  const v = parsed as Partial<PinFile>;
  if (v.version !== 1 || !isObject(v.tools) || (v.pending !== undefined && !isObject(v.pending)) || (v.server !== undefined && typeof v.server !== 'string')) throw new Error(`\`${file}\` is not a mandate pins file`);
  for (const [part, pins] of [['tools', v.tools], ['pending', v.pending ?? {}]] as const) {
    for (const [name, pin] of Object.entries(pins)) {
      // the digest is what everything compares; the other fields, when there, are strings
      const bad = !isObject(pin) ? 'is not an object' : typeof pin['digest'] !== 'string' ? 'has no string `digest`'
        : (['name', 'description_digest', 'pinned_at', 'description'] as const).filter((k) => pin[k] !== undefined && typeof pin[k] !== 'string').map((k) => `has a \`${k}\` that is not a string`)[0];
      if (bad !== undefined) throw new Error(`\`${file}\` is not a mandate pins file: \`${part}.${name}\` ${bad}`);
    }
  }
  if (!anyServer && v.server !== undefined && v.server !== server) {
    throw new Error(`\`${file}\` holds the pins of server \`${v.server}\`, not of \`${server}\` (older versions gave both names one file): move it aside to pin \`${server}\` afresh`);
  }
  return { version: 1, server: v.server ?? server, tools: v.tools, pending: v.pending ?? {} };
}

/** Write a pins file atomically (temp file + rename). */
export function writePins(file: string, pins: PinFile): void {
  makeDirs(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(pins, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Digests are shown to a reviewer with this many hex digits. */
export const SHORT_DIGEST = 12;
/**
 * `--digest` takes at least this many hex digits (128 bits). INVARIANT: a server cannot make two definitions
 * share the prefix a reviewer approved — 12 digits (48 bits) fell to a birthday search in 90 s.
 */
export const MIN_DIGEST_PREFIX = 32;

/**
 * Accept pending changes (all, or the named tools): they become the pinned definitions. With `digests`, only
 * the definitions reviewed: every pending change accepted must have a digest starting with one of them, else
 * nothing is accepted and the ones that differ are returned in `changedSinceReview` (the server changed the
 * tool again after the reviewer looked).
 */
export function acceptPins(file: string, server: string, tools?: readonly string[], digests?: readonly string[]): { accepted: string[]; acceptedDigests: Record<string, string>; changedSinceReview: Array<{ tool: string; digest: string }> } {
  const pins = readPins(file, server);
  const names = Object.keys(pins.pending).filter((n) => !tools || tools.length === 0 || tools.includes(n));
  if (digests && digests.length > 0) {
    const stale = names.filter((n) => !digests.some((d) => pins.pending[n]!.digest.startsWith(d.toLowerCase())));
    if (stale.length > 0) return { accepted: [], acceptedDigests: {}, changedSinceReview: stale.map((n) => ({ tool: n, digest: pins.pending[n]!.digest })) };
  }
  const acceptedDigests: Record<string, string> = {};
  for (const n of names) {
    pins.tools[n] = pins.pending[n]!;
    Object.defineProperty(acceptedDigests, n, { value: pins.pending[n]!.digest, enumerable: true });
    delete pins.pending[n];
  }
  if (names.length > 0) writePins(file, pins);
  return { accepted: names, acceptedDigests, changedSinceReview: [] };
}

/** What changed between a pinned definition and the one seen, in a reviewer's words (one line). */
export function describeChange(pinned: Pin, seen: Pin): string {
  const parts: string[] = [];
  if (pinned.description_digest !== seen.description_digest) parts.push('description');
  if (canonicalJson(pinned.input_schema) !== canonicalJson(seen.input_schema)) {
    const props = (p: Pin): Set<string> => {
      const v = (p.input_schema as { properties?: unknown } | null)?.properties;
      return new Set(v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
    };
    const [a, b] = [props(pinned), props(seen)];
    const added = [...b].filter((k) => !a.has(k)).map((k) => `+${k}`);
    const removed = [...a].filter((k) => !b.has(k)).map((k) => `-${k}`);
    parts.push(`input schema${added.length + removed.length > 0 ? ` (${printable([...added, ...removed].join(' '))})` : ''}`);
  }
  if (canonicalJson(pinned.annotations) !== canonicalJson(seen.annotations)) {
    const ann = (p: Pin): Record<string, unknown> => (p.annotations && typeof p.annotations === 'object' && !Array.isArray(p.annotations) ? p.annotations : {});
    const [a, b] = [ann(pinned), ann(seen)];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    parts.push(`annotations (${printable(keys.map((k) => `${k}: ${JSON.stringify(a[k]) ?? 'unset'} → ${JSON.stringify(b[k]) ?? 'unset'}`).join(', '))})`);
  }
  return parts.length > 0 ? parts.join(', ') : 'listed twice with different definitions';
}

/** What `observe` reports for a name listed twice with different definitions (it matches no pin). */
export const CONFLICT = 'conflict: listed twice with different definitions';

/**
 * A server's pins, kept in memory and on disk. Which definition a session's server showed last is the
 * session's business (`observe` returns it; HTTP sessions share one store): a call is drifted when that
 * digest is not the pinned one.
 */
export class PinStore {
  private pins: PinFile;
  private mtime = 0;
  /** why the pins cannot be trusted now (the file unreadable or unwritable); calls are denied meanwhile */
  private problem: string | undefined;
  /** the pins in memory could not be written (the problem is that): they are written again before anything is read */
  private unsaved = false;

  constructor(readonly file: string, readonly server: string, private readonly now: () => number) {
    try {
      this.pins = readPins(file, server);
    } catch (err) {
      // INVARIANT: pins that cannot be read (or are another server's) deny calls, with the reason, until fixed
      this.pins = { version: 1, server, tools: {}, pending: {} };
      this.problem = `cannot read \`${file}\`: ${(err as Error).message.split('\n')[0]}`;
    }
    this.mtime = mtimeOf(file);
  }

  /**
   * Compare a tool list with the pins: pin tools seen for the first time, record changed ones as pending.
   * Returns the drifts not recorded before, and each listed tool's digest as seen (`CONFLICT` for a name
   * listed twice with different definitions).
   */
  observe(tools: readonly ToolInfo[]): { drifts: Drift[]; seen: Map<string, string> } {
    this.refresh();
    const at = new Date(this.now()).toISOString();
    const byName = new Map<string, Pin>();
    const seen = new Map<string, string>();
    for (const t of tools) {
      const pin = pinOf(t, at);
      const before = byName.get(t.name);
      // INVARIANT: a name listed twice must not have its second definition vouch for its first
      if (before && before.digest !== pin.digest) seen.set(t.name, CONFLICT);
      else if (!before) {
        byName.set(t.name, pin);
        seen.set(t.name, pin.digest);
      }
    }
    const drifts: Drift[] = [];
    // INVARIANT: pins that cannot be trusted now are neither extended nor written over (the file may be
    // another server's); calls are denied meanwhile (trouble())
    if (this.problem !== undefined) return { drifts, seen };
    let dirty = false;
    for (const [name, pin] of byName) {
      const pinned = Object.hasOwn(this.pins.tools, name) ? this.pins.tools[name] : undefined;
      if (!pinned) {
        if (seen.get(name) === CONFLICT) continue; // nothing trustworthy to pin
        this.pins.tools[name] = pin;
        dirty = true;
      } else if (seen.get(name) === CONFLICT || pinned.digest !== pin.digest) {
        const pending = Object.hasOwn(this.pins.pending, name) ? this.pins.pending[name] : undefined;
        if (pending?.digest !== pin.digest) {
          drifts.push({ tool: name, pinned, seen: pin });
          this.pins.pending[name] = pin;
          dirty = true;
        }
      }
    }
    if (dirty) this.save();
    return { drifts, seen };
  }

  /** Why the pins cannot be trusted now, if they cannot (the file is read again first). */
  trouble(): string | undefined {
    if (this.problem !== undefined) this.refresh();
    return this.problem;
  }

  /** The pinned digest of a tool (undefined when it is not pinned); `fresh`: as the file says now. */
  pinned(tool: string, fresh = true): string | undefined {
    if (fresh) this.refresh();
    return Object.hasOwn(this.pins.tools, tool) ? this.pins.tools[tool]!.digest : undefined;
  }

  private refresh(): void {
    // INVARIANT: pins that could not be written are the ones in force (read from the file, then extended): they are
    // written again, never given up for what the file says — and calls are served again once the write succeeds
    if (this.unsaved) return this.save();
    const m = mtimeOf(this.file);
    if (m === this.mtime && this.problem === undefined) return;
    // INVARIANT: a pins file that vanished (a server can delete files its user owns) does not reset the pins:
    // the ones in memory stay in force and are written back at the next change
    if (m === 0 && Object.keys(this.pins.tools).length > 0) {
      this.mtime = 0;
      return;
    }
    try {
      this.pins = readPins(this.file, this.server);
      this.mtime = m;
      this.problem = undefined;
    } catch (err) {
      // INVARIANT: pins that cannot be read deny calls (with the reason) instead of stopping the proxy
      this.problem = `cannot read \`${this.file}\`: ${(err as Error).message.split('\n')[0]}`;
    }
  }

  private save(): void {
    try {
      writePins(this.file, this.pins);
      this.mtime = mtimeOf(this.file);
      this.problem = undefined; // the file now holds the pins in force
      this.unsaved = false;
    } catch (err) {
      this.problem = `cannot write \`${this.file}\`: ${(err as Error).message.split('\n')[0]}`;
      this.unsaved = true;
    }
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
