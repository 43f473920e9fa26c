// `mandate approve ID` / `mandate refuse ID`: answer a pending approval of a running proxy session
// through its approval channel (the id names the session; the secret is in its session file).

import { userInfo } from 'node:os';
import { answerApproval, runtimeDir } from '../../proxy';
import { parse } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';

function answer(verdict: 'approve' | 'refuse', usage: string) {
  return async (argv: string[], io: Io): Promise<number> => {
    const { values, positionals } = parse(argv, { 'runtime-dir': { type: 'string' }, by: { type: 'string' } }, usage);
    if (positionals.length !== 1) throw new CliError(`expected one approval id\nusage: ${usage}`);
    const id = positionals[0]!;
    const dir = values['runtime-dir'] ?? runtimeDir(io.env);
    const by = values.by ?? `${io.env['USER'] ?? userInfo().username}@terminal`;
    let r: { ok: boolean; message: string };
    try {
      r = await answerApproval(dir, id, verdict, by);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    println(r.ok ? io.stdout : io.stderr, r.ok ? r.message : `mandate ${verdict}: ${r.message}`);
    return r.ok ? 0 : 1;
  };
}

const approveUsage = 'mandate approve ID [--by NAME] [--runtime-dir DIR]';
const refuseUsage = 'mandate refuse ID [--by NAME] [--runtime-dir DIR]';

export const approve: CommandSpec = {
  summary: 'approve a call a running proxy is holding for a human (single use)',
  usage: approveUsage,
  run: answer('approve', approveUsage),
};

export const refuse: CommandSpec = {
  summary: 'refuse a call a running proxy is holding for a human',
  usage: refuseUsage,
  run: answer('refuse', refuseUsage),
};
