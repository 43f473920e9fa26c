// `mandate pins`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const pins: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate pins …',
  async run() {
    throw new CliError('`pins` is not available in this build yet');
  },
};
