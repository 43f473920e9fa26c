// dist/proxy.js: the proxy as its own executable (what the editor launches): `proxy.js [options] -- <server…>`,
// the same options as `mandate proxy`.

import { parseProxyArgs, ProxyUsageError } from './options';
import { ProxyStartError, runStdioProxy } from './stdio';

/** Run the stdio proxy from command-line arguments; resolves to the exit code. */
export async function proxyMain(argv: string[]): Promise<number> {
  try {
    const opts = parseProxyArgs(argv, process.cwd());
    return await runStdioProxy(opts, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, now: () => Date.now() });
  } catch (err) {
    if (err instanceof ProxyUsageError || err instanceof ProxyStartError) {
      process.stderr.write(`mandate proxy: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`mandate proxy: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void proxyMain(process.argv.slice(2)).then((code) => process.exit(code));
}
