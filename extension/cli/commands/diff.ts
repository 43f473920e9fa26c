// `mandate diff`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const diff: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate diff …',
  async run() {
    throw new CliError('`diff` is not available in this build yet');
  },
};
