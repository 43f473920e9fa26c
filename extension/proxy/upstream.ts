// The upstream MCP server as a child process: framed stdio, stderr passed through, and always
// terminated — on proxy exit, on every signal, and when the client goes away.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { FrameReader, LineWriter, type FrameError, type JSONRPCMessage } from './framing';

export interface UpstreamEvents {
  /** `line`: the message as the server wrote it, when it came as one line (stdio) */
  onMessage: (msg: JSONRPCMessage, line?: string) => void;
  onExit: (why: string) => void;
  /** `kind` as the framing names it (`oversize`, `parse`…) */
  onBadFrame: (message: string, kind?: FrameError['kind']) => void;
  /** something the operator should hear that ends nothing (an HTTP upstream's stream error) */
  onNote?: (message: string) => void;
}

/** Connections to an unreachable HTTP server tried one after another before waiting for a call to ask again (both proxies). */
export const HTTP_RETRIES = 6;

/** How long to wait before the `n`-th (from 0) restart or reconnection in a row: 100 ms doubling, at most 5 s. */
export function backoffMs(n: number): number {
  return Math.min(5000, 100 * 2 ** n);
}

export interface RestartPolicy {
  /** an HTTP server is connected to again (HTTP_RETRIES tries in a row, then on demand); a process is restarted */
  http: boolean;
  /** a process is restarted at most this many times in any minute (0: never) */
  maxRestarts: number;
  /** start the next upstream now (called when a scheduled try is due) */
  run: () => void;
  /** a process is not restarted again (`why`): its calls fail closed for good */
  refused: (why: string) => void;
  /** an HTTP server could not be reached `tries` times in a row: the next call that finds it down tries again */
  unreachable: (tries: number) => void;
}

/**
 * When a lost upstream is started again — the one policy of the stdio proxy and of each HTTP session. A
 * process that crashed is restarted at most `maxRestarts` times in any minute; a server over HTTP that cannot
 * be reached is tried HTTP_RETRIES times in a row, then again whenever a call finds it down. Both wait
 * `backoffMs` before each try. The owner reports the outcome of each try (`begun`, `settled`).
 */
export class Restarts {
  /** when a process was restarted, within the last minute */
  private readonly times: number[] = [];
  /** HTTP connections tried in a row without success */
  private tries = 0;
  /** cancels the try scheduled, if any */
  private timer: (() => void) | undefined;
  private resuming = false;
  private stopped = false;

  /** `clock` and `schedule` (run `f` in `ms`, unreferenced; returns a cancel) are injected by tests */
  constructor(private readonly p: RestartPolicy, private readonly clock: () => number = Date.now, private readonly schedule: (f: () => void, ms: number) => () => void = unrefTimeout) {}

  /** Process restarts within the last minute (for the operator's log). */
  get count(): number {
    return this.times.length;
  }

  /** The upstream was lost: schedule the next try, or say why there is none. */
  later(): void {
    if (this.stopped || this.timer !== undefined) return;
    let delay: number;
    if (this.p.http) {
      if (this.tries >= HTTP_RETRIES) return this.p.unreachable(this.tries);
      delay = backoffMs(this.tries++);
    } else {
      const now = this.clock();
      while (this.times.length > 0 && now - this.times[0]! >= 60_000) this.times.shift();
      if (this.times.length >= this.p.maxRestarts) {
        return this.p.refused(this.p.maxRestarts === 0 ? 'restarts are off (--max-restarts 0)' : `${this.times.length} restarts within a minute`);
      }
      this.times.push(now);
      delay = backoffMs(this.times.length - 1);
    }
    this.timer = this.schedule(() => {
      this.timer = undefined;
      if (!this.stopped) this.p.run();
    }, delay);
  }

  /** A call found the HTTP upstream down (`running`: whether it is up after all): try now, unless a try is under way. */
  wanted(running: boolean): void {
    if (this.stopped || this.resuming || this.timer !== undefined || running) return;
    this.tries = 0;
    this.later();
  }

  /** A new upstream was started and is being given the client's `initialize`. */
  begun(): void {
    this.resuming = true;
  }

  /** That `initialize` was answered (`ok`) or not. */
  settled(ok: boolean): void {
    this.resuming = false;
    if (ok) this.tries = 0;
  }

  /** No more tries (the proxy or the session is stopping). */
  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
  }
}

function unrefTimeout(f: () => void, ms: number): () => void {
  const t = setTimeout(f, ms);
  t.unref();
  return () => clearTimeout(t);
}

/** The server the stdio proxy forwards to: a child process, or an MCP server over Streamable HTTP. */
export interface Upstream {
  readonly running: boolean;
  /** how to name it in the operator's log (`pid 123`, the URL) */
  readonly label: string;
  /** send one message (dropped once it has stopped) */
  send(msg: JSONRPCMessage): void;
  /** stop it at once; its `onExit` follows */
  kill(signal: NodeJS.Signals): void;
  /** stop it politely, within about `graceMs`; resolves when it is gone */
  stop(graceMs?: number): Promise<void>;
}

/** How long a server whose output ended has to exit on its own before it is stopped. */
const MUTE_GRACE_MS = 500;

/** A running child server. */
export class UpstreamProcess implements Upstream {
  readonly child: ChildProcess;
  private exited = false;
  /** it closed its output while running (and was stopped for it) */
  private muted = false;
  /** stop() was called: the server is shutting down on our word, and closing its output is part of that */
  private stopping = false;
  private readonly out: LineWriter;
  readonly done: Promise<void>;

  constructor(command: readonly string[], env: NodeJS.ProcessEnv, stderr: Writable, ev: UpstreamEvents, maxBytes: number, cwd?: string) {
    const [cmd, ...args] = command;
    // INVARIANT: the child gets pipes, never the client's stdio, so it cannot outlive us holding them.
    this.child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env, detached: false, ...(cwd !== undefined ? { cwd } : {}) });
    const reader = new FrameReader(ev.onMessage, (e) => ev.onBadFrame(e.message, e.kind), maxBytes, false);
    this.child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk));
    // INVARIANT: a server that closes its output and lives on can answer nothing more: it is stopped — a crash, so the
    // calls in flight fail closed now and it is restarted — rather than left for every call to wait out its deadline
    this.child.stdout!.on('end', () => {
      const grace = setTimeout(() => {
        // (a server exiting closes its output first; one being stopped has the stop's grace, and its signals)
        if (this.exited || this.stopping) return;
        this.muted = true;
        this.kill('SIGTERM');
        setTimeout(() => this.kill('SIGKILL'), 2000).unref();
      }, MUTE_GRACE_MS);
      grace.unref();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => stderr.write(chunk));
    this.child.stdin!.on('error', () => undefined);
    this.out = new LineWriter((text) => { if (!this.exited && this.child.stdin!.writable) this.child.stdin!.write(text); });
    this.done = new Promise((resolve) => {
      const end = (why: string): void => {
        if (this.exited) return;
        this.exited = true;
        ev.onExit(why);
        resolve();
      };
      this.child.on('error', (err) => end(`could not start \`${cmd}\`: ${err.message}`));
      this.child.on('exit', (code, signal) => end(this.muted ? `closed its output while running, so it was stopped (${signal ?? `code ${code}`})`
        : signal ? `exited on ${signal}` : `exited with code ${code}`));
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  get label(): string {
    return `pid ${this.child.pid ?? '?'}`;
  }

  /** Send one message to the server. */
  send(msg: JSONRPCMessage): void {
    if (!this.exited) this.out.send(msg);
  }

  /** Send one message already serialised (one line, no newline). */
  sendRaw(line: string): void {
    if (!this.exited) this.out.sendRaw(line);
  }

  /** Close its stdin, then SIGTERM after `graceMs`, then SIGKILL; resolves when it is gone. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    this.stopping = true;
    this.out.flush();
    this.child.stdin!.end();
    const term = setTimeout(() => this.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => this.kill('SIGKILL'), graceMs * 2);
    await this.done;
    clearTimeout(term);
    clearTimeout(kill);
  }

  /** Signal the child (no-op once it has exited). */
  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }
}
