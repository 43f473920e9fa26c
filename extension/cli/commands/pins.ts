// `mandate pins list|accept`: the tool definitions pinned per server, and accepting a changed
// definition (tool drift) so calls to it are allowed to be decided again.

import { join, resolve } from 'node:path';
import { readdirSync } from 'node:fs';
import { acceptPins, describeChange, MIN_DIGEST_PREFIX, openPinsFile, pinsPath, readPins } from '../../proxy';
import { format, parse, runSubcommand, type Subcommands } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';

const usage = 'mandate pins list [--server NAME] [--dir DIR] [--format text|json] | mandate pins accept --server NAME [--tool T]… [--digest HEX]… [--dir DIR]';

/** The servers with pins in `dir` (each file names its server), or just `only`; with the file to read. */
function servers(dir: string, only: string | undefined): Array<{ server: string; file: string }> {
  if (only !== undefined) return [{ server: only, file: openPinsFile(dir, only) }];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out = new Map<string, string>();
  for (const f of files) {
    const file = join(dir, f);
    let server: string;
    try {
      server = readPins(file, f.slice(0, -5)).server;
    } catch (err) {
      throw new CliError(`cannot read pins \`${file}\`: ${(err as Error).message}`);
    }
    // a legacy file is shown only when its server has no file of its own yet
    if (!out.has(server) || file === pinsPath(dir, server)) out.set(server, file);
  }
  return [...out].map(([server, file]) => ({ server, file }));
}

async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { server: { type: 'string' }, dir: { type: 'string' }, format: { type: 'string' } }, usage, false);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const dir = resolve(io.cwd, values.dir ?? join('.mandate', 'pins'));
  let pending = 0;
  for (const { server: s, file } of servers(dir, values.server)) {
    const pins = readPinsOrFail(file, s);
    pending += Object.keys(pins.pending).length;
    if (fmt === 'json') {
      println(io.stdout, JSON.stringify(pins));
      continue;
    }
    println(io.stdout, `${s}: ${Object.keys(pins.tools).length} pinned, ${Object.keys(pins.pending).length} changed`);
    for (const [name, p] of Object.entries(pins.tools)) {
      const changed = Object.hasOwn(pins.pending, name) ? pins.pending[name] : undefined;
      const short = (d: string): string => d.slice(0, MIN_DIGEST_PREFIX);
      println(io.stdout, `  ${changed ? 'CHANGED' : 'pinned '} ${name} ${short(p.digest)}${changed ? ` → ${short(changed.digest)} (seen ${changed.pinned_at})` : ''}`);
      if (!changed) continue;
      // what a reviewer needs before accepting: what changed, the new description itself, the exact command
      println(io.stdout, `          changed: ${describeChange(p, changed)}`);
      if (changed.description !== undefined && changed.description_digest !== p.description_digest) {
        println(io.stdout, `          new description: ${JSON.stringify(changed.description)}`);
      }
      println(io.stdout, `          accept after review: mandate pins accept --server ${shellWord(s)} --tool ${shellWord(name)} --digest ${short(changed.digest)}`);
    }
  }
  return pending > 0 ? 1 : 0;
}

async function accept(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { server: { type: 'string' }, tool: { type: 'string', multiple: true }, digest: { type: 'string', multiple: true }, dir: { type: 'string' } }, usage, false);
  if (!values.server) throw new CliError(`missing --server\nusage: ${usage}`);
  for (const d of values.digest ?? []) {
    if (!new RegExp(`^[0-9a-fA-F]{${MIN_DIGEST_PREFIX},64}$`).test(d)) throw new CliError(`--digest \`${d}\` is not a digest: give at least ${MIN_DIGEST_PREFIX} hex digits, as \`mandate pins list\` shows them`);
  }
  const dir = resolve(io.cwd, values.dir ?? join('.mandate', 'pins'));
  const file = openPinsFile(dir, values.server);
  readPinsOrFail(file, values.server);
  const { accepted, changedSinceReview } = acceptPins(file, values.server, values.tool, values.digest);
  if (changedSinceReview.length > 0) {
    const which = changedSinceReview.map((c) => `\`${c.tool}\` is now ${c.digest.slice(0, MIN_DIGEST_PREFIX)}`).join(', ');
    println(io.stderr, `mandate pins: nothing accepted for \`${values.server}\`: ${which}, not a digest you gave (it changed since it was reviewed): review \`mandate pins list\` again`);
    return 1;
  }
  if (accepted.length === 0) {
    println(io.stderr, `mandate pins: nothing to accept for \`${values.server}\`${values.tool ? ` (${values.tool.map((t) => `\`${t}\``).join(', ')})` : ''}`);
    return 1;
  }
  println(io.stdout, `accepted ${accepted.map((t) => `\`${t}\``).join(', ')} for \`${values.server}\``);
  return 0;
}

/** A word a POSIX shell reads back as itself. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function readPinsOrFail(file: string, server: string): ReturnType<typeof readPins> {
  try {
    return readPins(file, server);
  } catch (err) {
    throw new CliError(`cannot read pins \`${file}\`: ${(err as Error).message}`);
  }
}

const subcommands: Subcommands = { list, accept };

export const pins: CommandSpec = {
  summary: 'list pinned tool definitions, or accept a changed one (tool drift)',
  usage,
  async run(argv, io) {
    return runSubcommand('pins', subcommands, argv, io, usage);
  },
};
