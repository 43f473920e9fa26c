// `mandate audit`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const audit: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate audit …',
  async run() {
    throw new CliError('`audit` is not available in this build yet');
  },
};
