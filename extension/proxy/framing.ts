// Newline-delimited JSON-RPC framing with a size bound, validated against the MCP message shapes.
// Own line splitting because the SDK's ReadBuffer loses the line on a bad message (no id to answer)
// and cannot resynchronise after an oversized one; validation accepts what the SDK's
// `JSONRPCMessageSchema` accepts (`jsonrpc.ts`), run on the value already parsed, without copying it.

import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isJSONRPCMessage } from './jsonrpc';

export type { JSONRPCMessage };
export type RpcId = string | number;

/** A request id as a map key: 1 and "1" are different requests. */
export const idKey = (id: RpcId): string => (typeof id === 'number' ? `n${id}` : `s${id}`);

/** A frame that is not a valid JSON-RPC message; `id` is set when one could be read. */
export interface FrameError {
  kind: 'parse' | 'invalid' | 'oversize';
  message: string;
  id?: RpcId;
}

/** Default bound on one message: 4 MiB. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Bound on nesting: JSON.parse reads a million levels, but JSON.stringify, the engine and the audit writer
 * recurse and throw at about ten thousand; no MCP message needs more than this.
 */
export const MAX_DEPTH = 512;

/** Whether a parsed value nests arrays/objects deeper than `max` (for transports that hand over values, not text). */
export function valueDeeperThan(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const v of level) {
      if (v === null || typeof v !== 'object') continue;
      if (depth >= max) return true;
      for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') next.push(child);
    }
    level = next;
  }
  return false;
}

/** Whether JSON text nests arrays/objects deeper than `max` (strings skipped). */
export function deeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Splits a byte stream into messages; bad frames are reported and skipped, never fatal. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly onMessage: (msg: JSONRPCMessage, line: string) => void,
    private readonly onError: (err: FrameError) => void,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
    private readonly validate = true,
  ) {}

  /** Feed bytes as they arrive. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const part = chunk.subarray(start, nl);
      if (this.discarding) {
        this.discarding = false;
      } else if (this.size + part.length > this.maxBytes) {
        this.reportOversize();
      } else {
        const line = this.size === 0 ? part.toString('utf8') : Buffer.concat([...this.chunks, part]).toString('utf8');
        this.handleLine(line);
      }
      this.chunks = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !this.discarding) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxBytes) {
        // INVARIANT: an oversized message is never buffered whole; skip to its end of line.
        this.chunks = [];
        this.size = 0;
        this.discarding = true;
        this.reportOversize();
      } else {
        this.chunks.push(rest);
        this.size += rest.length;
      }
    }
  }

  private reportOversize(): void {
    this.onError({ kind: 'oversize', message: `message larger than ${this.maxBytes} bytes` });
  }

  private handleLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      this.onError({ kind: 'parse', message: `not JSON: ${(err as Error).message}` });
      return;
    }
    // INVARIANT: nothing nested deeper than MAX_DEPTH reaches the guard (its recursion would throw); a line
    // shorter than the bound cannot be that deep, so only long lines are scanned
    if (line.length > MAX_DEPTH && deeperThan(line, MAX_DEPTH)) {
      const id = isObject(value) ? (value as { id?: unknown }).id : undefined;
      this.onError({ kind: 'invalid', message: `nested deeper than ${MAX_DEPTH} levels`, ...(typeof id === 'string' || typeof id === 'number' ? { id } : {}) });
      return;
    }
    if (!this.validate) {
      if (isObject(value)) this.onMessage(value as JSONRPCMessage, line);
      else this.onError({ kind: 'invalid', message: 'not a JSON-RPC message' });
      return;
    }
    if (isJSONRPCMessage(value)) {
      this.onMessage(value, line);
    } else {
      const id = isObject(value) ? (value as { id?: unknown }).id : undefined;
      const detail = Array.isArray(value) ? 'batches are not supported' : 'not a valid JSON-RPC 2.0 message';
      this.onError({ kind: 'invalid', message: detail, ...(typeof id === 'string' || typeof id === 'number' ? { id } : {}) });
    }
  }
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One message as a line of text. */
export function frame(msg: JSONRPCMessage): string {
  return `${JSON.stringify(msg)}\n`;
}

/**
 * Coalesces outgoing lines into one write per tick (process.nextTick, so no extra loop turn): a burst of
 * messages costs one system call instead of one each. Order is kept.
 */
export class LineWriter {
  private parts: string[] = [];
  private scheduled = false;

  constructor(private readonly write: (text: string) => void) {}

  /** Queue one message. */
  send(msg: JSONRPCMessage): void {
    this.parts.push(JSON.stringify(msg), '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Queue one line that is already a serialised message (no newline). */
  sendRaw(line: string): void {
    this.parts.push(line, '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Write everything queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.write(text);
  };
}
