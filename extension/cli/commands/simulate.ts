// `mandate simulate`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const simulate: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate simulate …',
  async run() {
    throw new CliError('`simulate` is not available in this build yet');
  },
};
