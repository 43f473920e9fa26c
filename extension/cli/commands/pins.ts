// `mandate pins list|accept`: the tool definitions pinned per server, and accepting a changed
// definition (tool drift) so calls to it are allowed to be decided again.

import { basename, join, resolve } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { acceptPins, describeChange, MIN_DIGEST_PREFIX, openPinsFile, pinsPath, readPins, SHORT_DIGEST } from '../../proxy';
import { printable } from '../../../policies';
import { format, parse, runSubcommand, type Subcommands } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';

const usage = 'mandate pins list [--server NAME] [--dir DIR] [--format text|json] | mandate pins accept --server NAME [--tool T]… [--digest HEX]… [--dir DIR]';

/**
 * The pins files to list: `only`'s, or every file in `dir` with the server it names. INVARIANT: every file
 * is listed, so a change pending in any of them (a legacy file included) is shown and sets the exit code.
 */
function pinFiles(dir: string, only: string | undefined): Array<{ server: string; file: string }> {
  if (only !== undefined) {
    const file = openPinsFile(dir, only);
    if (existsSync(file)) return [{ server: only, file }];
    // a misspelt name must not read as "0 pinned, 0 changed"
    const known = pinFiles(dir, undefined).map((f) => printable(f.server));
    throw new CliError(`no pins for server \`${printable(only)}\` in \`${dir}\`; ${known.length > 0 ? `servers with pins there: ${known.join(', ')}` : 'no server has pins there'}`);
  }
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const file = join(dir, f);
    try {
      return { server: readPins(file, '', true).server, file };
    } catch (err) {
      throw new CliError(`cannot read pins \`${file}\`: ${(err as Error).message}`);
    }
  });
}

async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { server: { type: 'string' }, dir: { type: 'string' }, format: { type: 'string' } }, usage, false);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const dir = resolve(io.cwd, values.dir ?? join('.mandate', 'pins'));
  // the command printed for accepting must act on the folder listed: without it, it looks in .mandate/pins
  const dirFlag = values.dir !== undefined ? ` --dir=${shellWord(values.dir)}` : '';
  let pending = 0;
  const files = pinFiles(dir, values.server);
  if (files.length === 0 && fmt === 'text') println(io.stdout, `no pins in \`${dir}\` (a proxy writes them to its --pins-dir, by default .mandate/pins in the folder it runs in)`);
  for (const { server: s, file } of files) {
    const pins = readPinsOrFail(file, s);
    pending += Object.keys(pins.pending).length;
    if (fmt === 'json') {
      println(io.stdout, JSON.stringify(pins));
      continue;
    }
    const own = file === pinsPath(dir, s) ? '' : ` (in \`${printable(basename(file))}\`, not this server's own file: older versions gave two names one file)`;
    println(io.stdout, `${printable(s)}: ${Object.keys(pins.tools).length} pinned, ${Object.keys(pins.pending).length} changed${own}`);
    for (const [name, p] of Object.entries(pins.tools)) {
      const changed = Object.hasOwn(pins.pending, name) ? pins.pending[name] : undefined;
      const short = (d: string): string => d.slice(0, SHORT_DIGEST);
      println(io.stdout, `  ${changed ? 'CHANGED' : 'pinned '} ${printable(name)} ${short(p.digest)}${changed ? ` → ${short(changed.digest)} (seen ${printable(changed.pinned_at ?? '?')})` : ''}`);
      if (!changed) continue;
      // what a reviewer needs before accepting: what changed, the new description itself, the exact command
      println(io.stdout, `          changed: ${describeChange(p, changed)}`);
      if (changed.description !== undefined && changed.description_digest !== p.description_digest) {
        println(io.stdout, `          new description: ${printable(JSON.stringify(changed.description))}`);
      }
      println(io.stdout, `          accept after review: mandate pins accept --server=${shellWord(s)} --tool=${shellWord(name)} --digest ${changed.digest}${dirFlag}`);
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
  // a server with no pins (a misspelt name, another --dir) must not read as "nothing to accept"
  const file = pinFiles(dir, values.server)[0]!.file;
  readPinsOrFail(file, values.server);
  const { accepted, acceptedDigests, changedSinceReview } = acceptPins(file, values.server, values.tool, values.digest);
  if (changedSinceReview.length > 0) {
    const which = changedSinceReview.map((c) => `\`${printable(c.tool)}\` is now ${c.digest.slice(0, MIN_DIGEST_PREFIX)}`).join(', ');
    println(io.stderr, `mandate pins: nothing accepted for \`${values.server}\`: ${which}, not a digest you gave (it changed since it was reviewed): review \`mandate pins list\` again`);
    return 1;
  }
  if (accepted.length === 0) {
    println(io.stderr, `mandate pins: nothing to accept for \`${values.server}\`${values.tool ? ` (${values.tool.map((t) => `\`${t}\``).join(', ')})` : ''}`);
    return 1;
  }
  // the digests accepted, so the terminal (and a CI log) shows what became pinned, --digest or not
  const digestOf = (t: string): string => (Object.hasOwn(acceptedDigests, t) ? ` (${acceptedDigests[t]!.slice(0, SHORT_DIGEST)})` : '');
  println(io.stdout, `accepted ${accepted.map((t) => `\`${printable(t)}\`${digestOf(t)}`).join(', ')} for \`${printable(values.server)}\`${values.digest ? '' : ' (no --digest: whatever was pending now)'}`);
  return 0;
}

/**
 * A word a shell reads back as itself: bare when safe, else single-quoted, else (control characters) in
 * bash/zsh `$'…'` quoting with every such character escaped — never raw on the terminal.
 */
function shellWord(s: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(s)) return s;
  if (printable(s) === s) return `'${s.replace(/'/g, `'\\''`)}'`;
  const escape = (cp: number): string => (cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`);
  return `$'${Array.from(s, (c) => (/^[A-Za-z0-9 _.,:/@%+=-]$/.test(c) ? c : escape(c.codePointAt(0)!))).join('')}'`;
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
