// Reproducing commands: the `mandate check …` line that decides a counterexample again, shell-quoted.

import type { Json } from '../../policies';
import type { SimCall } from './generate';
import type { ReportedCall } from './report';

/** How commands name the policy file, the tool manifests given beside it, and whether tools were listed live. */
export interface CommandContext {
  policy: string;
  /** manifests given with --tools (a policy's own `tools_manifest`s are read by check and simulate themselves) */
  tools?: readonly string[];
  /** tools came from the servers themselves (`simulate --live`): a replay must list them again */
  live?: boolean;
}

/** Quote one word for a POSIX shell, only when it needs it. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line split into words as a POSIX shell would (no expansion): single quotes keep everything, double
 * quotes keep all but `\"`, `\\`, `\$` and `\`` escapes, a backslash outside quotes keeps the next character.
 * Undefined for an unterminated quote. The inverse of `shellQuote`.
 */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        text += line[j];
      }
      if (j >= line.length) return undefined;
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A generated call as reported: JSON arguments, ISO time. */
export function reportedCall(c: SimCall): ReportedCall {
  return { roles: [...c.roles], tool: c.tool, args: (c.args === undefined ? {} : c.args) as Json, context: { ...c.context }, at: new Date(c.now).toISOString() };
}

/** The `mandate check` command that decides this call again. */
export function checkCommand(ctx: CommandContext, c: SimCall): string {
  const words = ['mandate', 'check', '--policy', ctx.policy];
  for (const r of c.roles) words.push('--role', r);
  words.push('--tool', c.tool, '--args', JSON.stringify(c.args === undefined ? {} : c.args));
  for (const [k, v] of Object.entries(c.context)) words.push('--context', `${k}=${v}`);
  words.push('--at', new Date(c.now).toISOString());
  for (const m of ctx.tools ?? []) words.push('--tools', m);
  return words.map(shellQuote).join(' ');
}

/** The `mandate simulate` command that regenerates one call from its seed and replay path. */
export function replayCommand(ctx: CommandContext, at: number, until: number | undefined, seed: number, path: string): string {
  const words = ['mandate', 'simulate', '--policy', ctx.policy];
  for (const m of ctx.tools ?? []) words.push('--tools', m);
  if (ctx.live === true) words.push('--live');
  words.push('--at', new Date(at).toISOString());
  if (until !== undefined) words.push('--until', new Date(until).toISOString());
  words.push('--seed', String(seed), '--replay', path);
  return words.map(shellQuote).join(' ');
}
