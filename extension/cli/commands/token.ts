// `mandate token`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const token: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate token …',
  async run() {
    throw new CliError('`token` is not available in this build yet');
  },
};
