// The command table. Each command lives in its own file; add it here to make it reachable.
// Commands are loaded when they run: `mandate check` need not start the MCP SDK, jose or OpenTelemetry
// (the bundle evaluates a module only when a loaded command needs it; `check` starts twice as fast).

import type { CommandSpec } from '../io';

export type LoadCommand = () => Promise<CommandSpec>;

export const commands: Record<string, LoadCommand> = {
  init: async () => (await import('./init')).init,
  lint: async () => (await import('./lint')).lint,
  test: async () => (await import('./test')).test,
  check: async () => (await import('./check')).check,
  simulate: async () => (await import('./simulate')).simulate,
  diff: async () => (await import('./diff')).diff,
  proxy: async () => (await import('./proxy')).proxy,
  audit: async () => (await import('./audit')).audit,
  approve: async () => (await import('./approve')).approve,
  refuse: async () => (await import('./approve')).refuse,
  pins: async () => (await import('./pins')).pins,
  token: async () => (await import('./token')).token,
  keys: async () => (await import('./keys')).keys,
  report: async () => (await import('./report')).report,
};
