// `mandate keys`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const keys: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate keys …',
  async run() {
    throw new CliError('`keys` is not available in this build yet');
  },
};
