// The `mandate` command: dispatches to one file per command; bad input → one clear line, exit 1.

import { commands } from './commands';
import { CliError, println, type Io } from './io';

/** Run the CLI with injected streams and clock; resolves to the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(io.stdout, 'usage: mandate <command> [options]\n');
    for (const [n, load] of Object.entries(commands)) println(io.stdout, `  ${n.padEnd(10)} ${(await load()).summary}`);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    println(io.stdout, '0.1.0');
    return 0;
  }
  const load = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!load) {
    println(io.stderr, `mandate: unknown command \`${name}\` (try \`mandate --help\`)`);
    return 1;
  }
  const spec = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    println(io.stdout, `usage: ${spec.usage}`);
    return 0;
  }
  try {
    return await spec.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      println(io.stderr, `mandate ${name}: ${err.message}`);
      return err.exitCode;
    }
    // INVARIANT: never a stack trace for users; the message still says what broke.
    println(io.stderr, `mandate ${name}: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (io.env['MANDATE_DEBUG']) println(io.stderr, String((err as Error).stack));
    return 1;
  }
}

if (require.main === module) {
  // `mandate … | head`: a closed pipe ends the output, not the process with a trace
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const io: Io = {
    stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env,
    now: () => Date.now(), isTTY: Boolean(process.stdout.isTTY),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`mandate: ${String(err)}\n`); process.exitCode = 1; },
  );
}
