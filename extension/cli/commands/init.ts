// `mandate init NAME -- <server command…>` (stdio) or `mandate init NAME --url URL` (Streamable HTTP): list an
// MCP server's tools and write a least-privilege starter policy for it (NAME.mandate.yaml) beside the saved
// tool manifest (NAME.tools.json) — the pilot stage's "minimal scopes + full logging", before any agent is
// wired to the server. Never calls a tool.

import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatFinding } from '../../../policies';
import { lintText } from '../../../policies/lint';
import { secretName } from '../../../policies/lint/tools';
import { shownNames, starterPlan, starterPolicy } from '../../../harness';
import { shellQuote } from '../../../harness/simulate';
import { isLoopback } from '../../proxy/http/request';
import { listTools, listToolsHttp } from '../../proxy/listTools';
import { makeDirs } from '../../proxy/makeDirs';
import { readFailure } from '../../proxy/readBounded';
import { parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';

const usage = 'mandate init NAME [--dir DIR] [--env NAME[=VALUE]]… [--timeout SECONDS] -- <server command…>\n'
  + '       mandate init NAME --url URL [--credential env:NAME] [--header "NAME: VALUE"]… [--dir DIR] [--timeout SECONDS]';

/** A server name the policy schema accepts, and a safe file name. */
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * `--env` flags → the environment the listing runs with, and the `env` the policy keeps. `NAME=VALUE` is kept
 * as written; `NAME` alone takes the value from this environment and is kept as a `${NAME}` reference (what the
 * proxy resolves at start) — the way to pass a secret, which is refused as a value (it would sit in the policy).
 */
function envFlags(flags: readonly string[], from: NodeJS.ProcessEnv): { run: Record<string, string>; policy: Record<string, string> } {
  const run: Record<string, string> = {};
  const policy: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? flag : flag.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CliError(`--env expects NAME or NAME=VALUE with NAME a variable name, got \`${flag}\``);
    if (eq < 0) {
      const value = from[name];
      if (value === undefined) throw new CliError(`--env ${name}: \`${name}\` is not set in this environment`);
      run[name] = value;
      policy[name] = `\${${name}}`;
    } else {
      if (secretName(name)) throw new CliError(`--env ${name}=…: a secret's value would be written into the policy; export it and pass \`--env ${name}\` (kept as \`\${${name}}\`, read from the environment when the proxy starts)`);
      run[name] = flag.slice(eq + 1);
      policy[name] = flag.slice(eq + 1);
    }
  }
  return { run, policy };
}

/** An http(s) URL, or a CliError. */
function httpUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliError(`--url expects an http:// or https:// URL, got \`${text}\``);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`--url expects an http:// or https:// URL, got \`${text}\``);
  if (u.username !== '' || u.password !== '') throw new CliError('--url must not hold credentials (they would be written into the policy): pass them with --header');
  return u;
}

/** `--header "Name: value"` flags → headers for the listing (never written anywhere). */
function headerFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const colon = flag.indexOf(':');
    const name = colon < 0 ? '' : flag.slice(0, colon).trim();
    // the value is not echoed: it is usually a credential
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new CliError('--header expects "Name: value" (a header name, a colon, the value)');
    out[name] = flag.slice(colon + 1).trim();
  }
  return out;
}

/**
 * `command` as it must be written in a policy in `dir` to run as typed in `cwd`: `simulate --live` and the editor run
 * a policy's server command from the policy's folder, so an argument that is a relative path to something that exists
 * from `cwd` (the server's script, a folder it serves, `.`) is written relative to `dir` instead. Nothing else changes.
 */
export function fromFolder(command: readonly string[], cwd: string, dir: string): { command: string[]; moved: string[] } {
  const moved: string[] = [];
  if (resolve(dir) === resolve(cwd)) return { command: [...command], moved };
  const out = command.map((arg, i) => {
    // (the program itself is a path only when it says so: `node` is looked up on PATH, whatever lies in the folder)
    if (arg === '' || isAbsolute(arg) || arg.startsWith('-') || (i === 0 && !arg.includes('/')) || !existsSync(resolve(cwd, arg))) return arg;
    const there = relative(dir, resolve(cwd, arg)) || '.';
    // (a bare name would be looked up on PATH as a command, or read as a package: keep it a path)
    const written = there.startsWith('.') ? there : `./${there}`;
    if (written !== arg) moved.push(`\`${arg}\` as \`${written}\``);
    return written;
  });
  return { command: out, moved };
}

/** The top-level string arguments of a tool that name files or folders (by name: `path`, `source`, `dir`…). */
function pathArguments(schema: Record<string, unknown> | undefined): string[] {
  const props = schema?.['properties'];
  if (props === null || typeof props !== 'object') return [];
  return Object.entries(props as Record<string, unknown>)
    .filter(([name, p]) => /^(?:path|paths|file|files|filename|filepath|file_path|dir|directory|folder|source|destination|root)$/i.test(name)
      && p !== null && typeof p === 'object' && ['string', 'array'].includes(String((p as { type?: unknown }).type)))
    .map(([name]) => name);
}

/**
 * Write new files into `dir` (made when missing), or none of them: one that cannot be written (a name taken
 * meanwhile, a full disk, a --dir that is not a folder) removes those written before it, and is one line.
 */
function writeBoth(dir: string, files: Array<[path: string, text: string]>, shown: (p: string) => string): void {
  const written: string[] = [];
  let at = dir;
  try {
    makeDirs(dir);
    for (const [path, text] of files) {
      at = path;
      writeFileSync(path, text, { flag: 'wx' });
      written.push(path);
    }
  } catch (err) {
    for (const p of written) rmSync(p, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot write \`${shown(at)}\`: ${code === 'EEXIST' ? 'it exists (made meanwhile); not overwriting' : readFailure(err)}`);
  }
}

export const init: CommandSpec = {
  summary: 'list an MCP server\'s tools and write a least-privilege starter policy for it (never calls a tool)',
  usage,
  async run(argv, io) {
    const sep = argv.indexOf('--');
    const command = sep < 0 ? [] : argv.slice(sep + 1);
    const { values, positionals } = parse(sep < 0 ? argv : argv.slice(0, sep), {
      dir: { type: 'string' }, env: { type: 'string', multiple: true }, timeout: { type: 'string' }, url: { type: 'string' }, header: { type: 'string', multiple: true },
      credential: { type: 'string' },
    }, usage);
    const url = values.url === undefined ? undefined : httpUrl(values.url);
    if ((url === undefined) === (command.length === 0)) throw new CliError(`${url === undefined ? 'missing the server command after `--` (or --url for an HTTP server)' : '--url and a server command after `--` exclude each other'}\nusage: ${usage}`);
    if (url !== undefined && values.env !== undefined) throw new CliError('--env is for a server init starts (stdio); an HTTP server runs with its own environment');
    if (url === undefined && values.header !== undefined) throw new CliError('--header is for an HTTP server (--url)');
    const headers = headerFlags(values.header ?? []);
    // --credential env:NAME: the bearer token the proxy will present upstream, named in the policy, never written as a value
    const credential = values.credential;
    if (credential !== undefined) {
      if (url === undefined) throw new CliError('--credential is for an HTTP server (--url)');
      const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(credential);
      // the value is not echoed: a token given here by mistake would land in a terminal or CI log
      if (!m) throw new CliError('--credential expects env:NAME, the environment variable holding the token (never the token itself)');
      const token = io.env[m[1]!];
      if (token === undefined || token === '') throw new CliError(`--credential ${credential}: \`${m[1]}\` is not set in the environment`);
      if (url.protocol === 'http:' && !isLoopback(url.hostname)) throw new CliError(`refusing to send the credential over cleartext http to \`${url.host}\`: use https (plain http is for loopback servers only)`);
      if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) throw new CliError('--credential and an Authorization --header exclude each other');
      headers['authorization'] = `Bearer ${token}`;
    }
    if (positionals.length !== 1) throw new CliError(`expected one server NAME, got ${positionals.length}\nusage: ${usage}`);
    const name = positionals[0]!;
    if (!NAME.test(name)) throw new CliError(`server name \`${name}\` must be 1–100 letters, digits, \`_\`, \`.\`, \`:\` or \`-\``);
    const timeoutS = values.timeout === undefined ? 15 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError(`--timeout expects a number of seconds, got \`${values.timeout}\``);
    const env = envFlags(values.env ?? [], io.env);
    const dir = resolve(io.cwd, values.dir ?? '.');
    const file = name.replace(/:/g, '_');
    const policyPath = join(dir, `${file}.mandate.yaml`);
    const manifestPath = join(dir, `${file}.tools.json`);
    const shown = (p: string): string => relative(io.cwd, p) || p;
    // INVARIANT: nothing is written unless both files are new — an existing manifest is what a policy was linted against
    const taken = [policyPath, manifestPath].filter((p) => existsSync(p));
    if (taken.length > 0) throw new CliError(`${taken.map((p) => `\`${shown(p)}\``).join(' and ')} already exist${taken.length === 1 ? 's' : ''}; not overwriting (choose another NAME or --dir)`);
    // a --dir that cannot hold the files is said before the server is run (and waited for), not after
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--dir \`${values.dir}\` is not a folder`);

    let tools;
    try {
      tools = (url !== undefined ? await listToolsHttp(url, headers, timeoutS * 1000) : await listTools(command, { env: env.run, cwd: io.cwd, timeoutMs: timeoutS * 1000 })).tools;
    } catch (err) {
      throw new CliError(`cannot list the tools of \`${url?.href ?? command.join(' ')}\`: ${(err as Error).message}`);
    }
    // INVARIANT: --header values (credentials) are used for the listing only, never written
    // the policy's command runs from the policy's folder (`simulate --live`, the editor): its relative paths are moved there
    const moved = url === undefined ? fromFolder(command, io.cwd, dir) : { command, moved: [] };
    const text = starterPolicy(name, url ?? moved.command, tools, { manifest: `${file}.tools.json`, env: env.policy, ...(credential !== undefined ? { credential } : {}) });
    writeBoth(dir, [[manifestPath, `${JSON.stringify({ tools }, null, 1)}\n`], [policyPath, text]], shown);

    const plan = starterPlan(name, tools);
    println(io.stdout, `wrote ${shown(manifestPath)} (${tools.length} tools) and ${shown(policyPath)}:`);
    if (moved.moved.length) println(io.stdout, `  the policy's server command runs from its folder, so it names ${moved.moved.join(', ')}`);
    if (plan.reads.length) println(io.stdout, `  ${plan.reader}: ${plan.reads.join(', ')}`);
    if (plan.writes.length) println(io.stdout, `  ${plan.writer}: ${plan.writes.join(', ')}`);
    if (plan.destroys.length) println(io.stdout, `  ${plan.writer}, each call approved by a human: ${plan.destroys.join(', ')}`);
    if (plan.skipped.length) println(io.stdout, `  left out (a name with \`*\` would be a glob): ${shownNames(plan.skipped)}`);
    if (plan.unnamable.length) println(io.stdout, `  left out (a policy cannot name them: 1–200 letters, digits, \`_ . : / -\`): ${shownNames(plan.unnamable)}`);
    if (plan.conflicting.length) println(io.stdout, `  left out (listed twice with different definitions; the proxy denies every call to them): ${shownNames(plan.conflicting)}`);
    if (tools.length === 0) println(io.stdout, '  the server listed no tools: nothing is granted');
    const granted = new Set([...plan.reads, ...plan.writes, ...plan.destroys]);
    const unsaid = [...new Set(tools.filter((t) => granted.has(t.name) && t.annotations?.readOnlyHint !== true && t.annotations?.destructiveHint === undefined).map((t) => t.name))];
    if (unsaid.length > 0) println(io.stdout, `  taken as destructive because the server does not say otherwise (the MCP default): ${unsaid.join(', ')}`);
    // the starter grants by tool: a tool that takes a path reaches every file the server can — say where to narrow
    const pathy = [...new Set(tools.filter((t) => granted.has(t.name)).flatMap((t) => {
      const args = pathArguments(t.inputSchema);
      return args.length > 0 ? [`${t.name} (${args.join(', ')})`] : [];
    }))];
    if (pathy.length > 0) println(io.stdout, `  granted without a \`within\` scope, so they reach any path the server allows: ${pathy.slice(0, 12).join(', ')}${pathy.length > 12 ? ` and ${pathy.length - 12} more` : ''}`);
    const findings = lintText(text, shown(policyPath), { now: io.now(), tools: { tools } });
    for (const f of findings) println(io.stdout, formatFinding(f));
    const role = plan.reads.length ? plan.reader : plan.writer;
    const p = shellQuote(shown(policyPath));
    println(io.stdout, 'next:');
    // no test could be made (every schema asks for what a plain reading cannot make): `mandate test` alone would fail
    const tested = /^tests:/m.test(text);
    if (!tested) println(io.stdout, '  no test could be made from the tools\' input schemas: write one under `tests:` (until then `mandate test` needs --allow-empty)');
    println(io.stdout, `  mandate lint ${p} && mandate test ${tested ? '' : '--allow-empty '}${p} && mandate simulate --policy ${p}`);
    // --server: the policy's name for the server, so the proxy gives it that entry's `env` (and records and pins name it so)
    if (url === undefined) println(io.stdout, `  mandate proxy --policy ${p} --role ${shellQuote(role)} --server ${shellQuote(name)} -- ${command.map(shellQuote).join(' ')}`);
    else {
      println(io.stdout, `  mandate proxy --policy ${p} --role ${shellQuote(role)} --upstream ${shellQuote(url.href)}`);
      println(io.stdout, `  (for clients that connect over HTTP with tokens: mandate proxy --listen 127.0.0.1:8080 --policy ${p} --jwks JWKS --upstream ${shellQuote(url.href)}; see "HTTP and authentication")`);
    }
    return findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};
