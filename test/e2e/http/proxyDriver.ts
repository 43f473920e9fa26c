// Runs the HTTP proxy (runHttpProxy) as its own process for the e2e tests: `node -r tsx/cjs proxyDriver.ts …flags`.

import { runHttpProxy } from '../../../extension/proxy/http';

runHttpProxy(process.argv.slice(2), { stderr: process.stderr, cwd: process.cwd(), env: process.env, now: () => Date.now() }).then(
  (code) => process.exit(code),
  (err: unknown) => { process.stderr.write(`driver: ${String(err)}\n`); process.exit(1); },
);
