// `mandate proxy`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const proxy: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate proxy …',
  async run() {
    throw new CliError('`proxy` is not available in this build yet');
  },
};
