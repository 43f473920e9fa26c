// Argument parsing for commands, on node:util parseArgs, with CliError on misuse.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDateTime } from '../../policies';
import { CliError, type Io } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parse `argv` strictly; unknown flags and missing values are a CliError naming the usage. */
export function parse<O extends Options>(argv: string[], options: O, usage: string, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message;
    // `--seed -5`: parseArgs will not take a value that starts with a dash, and its first line only says "ambiguous"
    const flag = /^Option '(--[^']+)' argument is ambiguous/.exec(message)?.[1];
    const next = flag === undefined ? undefined : argv[argv.indexOf(flag) + 1];
    if (flag !== undefined && next !== undefined) {
      throw new CliError(`${flag} is followed by \`${next}\`, which starts with a dash: write \`${flag}=${next}\` for a value that starts with one\nusage: ${usage}`);
    }
    throw new CliError(`${message.split('\n')[0] ?? 'bad arguments'}\nusage: ${usage}`);
  }
}

/** `--format` values accepted by a command. */
export function format<F extends string>(value: string | undefined, allowed: readonly F[], fallback: F): F {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as F;
  throw new CliError(`unknown format \`${value}\` (expected ${allowed.join(', ')})`);
}

/** `--context k=v` pairs → an object; values stay strings. */
export function contextPairs(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--context expects key=value, got \`${pair}\``);
    const key = pair.slice(0, eq);
    // one key, one value: a second one silently replaced the first
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new CliError(`--context \`${key}\` given twice (\`${key}=${out[key]}\` and \`${pair}\`): a context key has one value`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** A required string option. */
export function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new CliError(`missing ${flag}\nusage: ${usage}`);
  return value;
}

/** An ISO date-time option → ms since epoch. */
export function isoTime(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const t = parseDateTime(value);
  if (Number.isNaN(t)) throw new CliError(`${flag} expects an ISO date-time such as 2026-12-31T23:59:59Z, got \`${value}\``);
  return t;
}

/** A command's subcommands by name (`audit verify`, `pins accept`…). */
export type Subcommands = Record<string, (argv: string[], io: Io) => Promise<number>>;

/** Run the subcommand named by argv[0]; an unknown or missing one is a CliError listing the valid names. */
export function runSubcommand(command: string, subcommands: Subcommands, argv: string[], io: Io, usage: string): Promise<number> {
  const [sub, ...rest] = argv;
  const fn = sub !== undefined && Object.prototype.hasOwnProperty.call(subcommands, sub) ? subcommands[sub] : undefined;
  if (!fn) throw new CliError(`unknown ${command} command \`${sub ?? ''}\` (expected ${Object.keys(subcommands).join(', ')})\nusage: ${usage}`);
  return fn(rest, io);
}
