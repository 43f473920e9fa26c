// `mandate pins list|accept`: the tool definitions pinned per server, and accepting a changed
// definition (tool drift) so calls to it are allowed to be decided again.

import { join, resolve } from 'node:path';
import { readdirSync } from 'node:fs';
import { acceptPins, pinsPath, readPins } from '../../proxy';
import { format, parse, runSubcommand, type Subcommands } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';

const usage = 'mandate pins list [--server NAME] [--dir DIR] [--format text|json] | mandate pins accept --server NAME [--tool T]… [--dir DIR]';

function servers(dir: string, only: string | undefined): string[] {
  if (only !== undefined) return [only];
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { server: { type: 'string' }, dir: { type: 'string' }, format: { type: 'string' } }, usage, false);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const dir = resolve(io.cwd, values.dir ?? join('.mandate', 'pins'));
  let pending = 0;
  for (const s of servers(dir, values.server)) {
    const pins = readPinsOrFail(pinsPath(dir, s), s);
    pending += Object.keys(pins.pending).length;
    if (fmt === 'json') {
      println(io.stdout, JSON.stringify(pins));
      continue;
    }
    println(io.stdout, `${s}: ${Object.keys(pins.tools).length} pinned, ${Object.keys(pins.pending).length} changed`);
    for (const [name, p] of Object.entries(pins.tools)) {
      const changed = pins.pending[name];
      println(io.stdout, `  ${changed ? 'CHANGED' : 'pinned '} ${name} ${p.digest.slice(0, 12)}${changed ? ` → ${changed.digest.slice(0, 12)} (seen ${changed.pinned_at})` : ''}`);
    }
  }
  return pending > 0 ? 1 : 0;
}

async function accept(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { server: { type: 'string' }, tool: { type: 'string', multiple: true }, dir: { type: 'string' } }, usage, false);
  if (!values.server) throw new CliError(`missing --server\nusage: ${usage}`);
  const dir = resolve(io.cwd, values.dir ?? join('.mandate', 'pins'));
  const file = pinsPath(dir, values.server);
  readPinsOrFail(file, values.server);
  const accepted = acceptPins(file, values.server, values.tool);
  if (accepted.length === 0) {
    println(io.stderr, `mandate pins: nothing to accept for \`${values.server}\`${values.tool ? ` (${values.tool.map((t) => `\`${t}\``).join(', ')})` : ''}`);
    return 1;
  }
  println(io.stdout, `accepted ${accepted.map((t) => `\`${t}\``).join(', ')} for \`${values.server}\``);
  return 0;
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
