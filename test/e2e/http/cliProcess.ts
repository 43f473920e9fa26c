// The HTTP and token tests spawn the built CLI through the shared helper (test/support/cli.ts).

export { CLI, ROOT, runCli } from '../../support/cli';
export type { CliResult } from '../../support/cli';
