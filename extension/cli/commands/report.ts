// `mandate report`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const report: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate report …',
  async run() {
    throw new CliError('`report` is not available in this build yet');
  },
};
