// What a CLI command may touch: its streams, working directory, environment and clock (injected for tests).

import { printable } from '../../policies';
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** the clock, ms since epoch */
  now: () => number;
  /** true when stdout is a terminal (progress displays, colour) */
  isTTY: boolean;
}

/** A bad invocation or bad input: printed as one line, exit code 1 unless stated. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** A command: parses its own arguments, writes to io, resolves to an exit code. */
export type Command = (argv: string[], io: Io) => Promise<number>;

export interface CommandSpec {
  run: Command;
  /** one line for `mandate --help` */
  summary: string;
  usage: string;
}

/** Write a line to a stream. */
export function println(stream: Writable, line = ''): void {
  // INVARIANT: what the CLI prints often holds text an agent or a server chose (tool names, arguments, reasons
  // in audit records, pins): its control characters are escaped, so no line can rewrite the terminal
  stream.write(`${printable(line, false)}\n`);
}
