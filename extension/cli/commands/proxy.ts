// `mandate proxy … -- <server command…>`: the stdio runtime proxy (extension/proxy does the work).

import { parseProxyArgs, PROXY_USAGE, ProxyStartError, ProxyUsageError, runStdioProxy } from '../../proxy';
import { HTTP_USAGE, runHttpProxy } from '../../proxy/http';
import { CliError, type CommandSpec } from '../io';

export const proxy: CommandSpec = {
  summary: 'run an MCP server behind the policy: decide every call before it runs, audit it',
  usage: `${PROXY_USAGE}\n       ${HTTP_USAGE}`,
  async run(argv, io) {
    const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    if (own.some((a) => a === '--listen' || a.startsWith('--listen='))) {
      // the HTTP face (extension/proxy/http): token-authenticated Streamable HTTP; it prints its own errors
      const code = await runHttpProxy(argv, io);
      if (io.stdin === process.stdin) process.exit(code);
      return code;
    }
    try {
      const opts = parseProxyArgs(argv, io.cwd);
      const code = await runStdioProxy(opts, { stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, env: io.env, now: io.now });
      // INVARIANT: the proxy's process ends with the session (stdin, timers and sockets may still hold the loop).
      if (io.stdin === process.stdin) process.exit(code);
      return code;
    } catch (err) {
      if (err instanceof ProxyUsageError || err instanceof ProxyStartError) throw new CliError(err.message);
      throw err;
    }
  },
};
