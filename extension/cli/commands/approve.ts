// `mandate approve|refuse ID`: not built yet — this placeholder keeps the command table stable while it is.

import { CliError, type CommandSpec } from '../io';

export const approve: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate approve ID',
  async run() {
    throw new CliError('`approve` is not available in this build yet');
  },
};

export const refuse: CommandSpec = {
  summary: '(not available in this build)',
  usage: 'mandate refuse ID',
  async run() {
    throw new CliError('`refuse` is not available in this build yet');
  },
};
