// Tool pinning: each server's tool definitions (name, input schema, annotations, description
// digest) are recorded on first sight; a later change fails calls to that tool until accepted.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson, type Json, type ToolInfo } from '../../policies';
import { sha256 } from './hash';

export interface Pin {
  name: string;
  input_schema: Json;
  annotations: Json;
  description_digest: string;
  /** SHA-256 of the canonical pin (the fields above) */
  digest: string;
  pinned_at: string;
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

/** The pins file for a server inside a folder. */
export function pinsPath(dir: string, server: string): string {
  return join(dir, `${server.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/** The pin of a tool definition as `tools/list` returned it. */
export function pinOf(t: ToolInfo, at: string): Pin {
  const body = {
    name: t.name,
    input_schema: (t.inputSchema ?? null) as Json,
    annotations: (t.annotations ?? null) as Json,
    description_digest: sha256(t.description ?? ''),
  };
  return { ...body, digest: sha256(canonicalJson(body)), pinned_at: at };
}

/** Read a pins file; a missing file is an empty one. Throws on a file that is not a pins file. */
export function readPins(file: string, server: string): PinFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, server, tools: {}, pending: {} };
    throw err;
  }
  const v = JSON.parse(text) as Partial<PinFile>;
  if (v.version !== 1 || typeof v.tools !== 'object' || v.tools === null) throw new Error(`\`${file}\` is not a mandate pins file`);
  return { version: 1, server: v.server ?? server, tools: v.tools, pending: v.pending ?? {} };
}

/** Write a pins file atomically (temp file + rename). */
export function writePins(file: string, pins: PinFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(pins, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Accept pending changes (all, or the named tools): they become the pinned definitions. */
export function acceptPins(file: string, server: string, tools?: readonly string[]): string[] {
  const pins = readPins(file, server);
  const names = Object.keys(pins.pending).filter((n) => !tools || tools.length === 0 || tools.includes(n));
  for (const n of names) {
    pins.tools[n] = pins.pending[n]!;
    delete pins.pending[n];
  }
  if (names.length > 0) writePins(file, pins);
  return names;
}

/** A server's pins, kept in memory and on disk. */
export class PinStore {
  private pins: PinFile;
  private drifted = new Map<string, Pin>();
  private mtime = 0;

  constructor(readonly file: string, readonly server: string, private readonly now: () => number) {
    this.pins = readPins(file, server);
    this.mtime = mtimeOf(file);
  }

  /** Compare a tool list with the pins: pin new tools, record changed ones as pending. Returns new drifts. */
  observe(tools: readonly ToolInfo[]): Drift[] {
    this.refresh();
    const at = new Date(this.now()).toISOString();
    const drifts: Drift[] = [];
    let dirty = false;
    for (const t of tools) {
      const seen = pinOf(t, at);
      const pinned = this.pins.tools[t.name];
      if (!pinned) {
        this.pins.tools[t.name] = seen;
        dirty = true;
      } else if (pinned.digest !== seen.digest) {
        const known = this.drifted.get(t.name);
        this.drifted.set(t.name, seen);
        if (known?.digest !== seen.digest) {
          drifts.push({ tool: t.name, pinned, seen });
          this.pins.pending[t.name] = seen;
          dirty = true;
        }
      } else {
        this.drifted.delete(t.name);
      }
    }
    if (dirty) this.save();
    return drifts;
  }

  /** Has this tool's definition changed since it was pinned (and not been accepted)? */
  isDrifted(tool: string): boolean {
    if (this.drifted.size === 0 || !this.drifted.has(tool)) return false;
    this.refresh();
    const seen = this.drifted.get(tool)!;
    if (this.pins.tools[tool]?.digest === seen.digest) {
      this.drifted.delete(tool);
      return false;
    }
    return true;
  }

  private refresh(): void {
    const m = mtimeOf(this.file);
    if (m !== this.mtime) {
      this.pins = readPins(this.file, this.server);
      this.mtime = m;
    }
  }

  private save(): void {
    writePins(this.file, this.pins);
    this.mtime = mtimeOf(this.file);
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
