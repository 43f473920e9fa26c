// npm run demo: the product's main job on the shipped example policies, after `npm run build`:
// lint, policy tests, explained decisions, simulate, a guarded MCP session, audit verify, and a starter
// policy for a server (mandate init).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const ex = (name) => `policies/examples/${name}.mandate.yaml`;
const examples = ['finance', 'research', 'ops'].map(ex);
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let failures = 0;

/** Run `mandate …args`, print it like a terminal session; `expect` is the exit code that means success. */
function mandate(args, expect = 0, note = '', cwd = root) {
  const shown = args.map((a) => (/[\s{}"']/.test(a) ? `'${a}'` : a)).join(' ');
  process.stdout.write(`\n$ mandate ${shown}${note ? `   # ${note}` : ''}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(r.stderr);
  if (r.status !== expect) {
    failures++;
    process.stdout.write(`!! expected exit ${expect}, got ${r.status}\n`);
  }
  return r;
}

function step(title) {
  process.stdout.write(`\n${bold(`== ${title} ==`)}\n`);
}

step('1. lint the example policies');
mandate(['lint', ...examples]);

step('2. run their policy tests');
mandate(['test', ...examples]);

step('3. explained decisions');
const ctx = ['--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme'];
mandate(['check', '--policy', ex('finance'), '--role', 'finance_reader', '--tool', 'list_invoices', '--context', 'environment=prod'], 0, 'allowed');
mandate(['check', '--policy', ex('finance'), '--role', 'finance_executor', '--tool', 'issue_payment',
  '--args', '{"vendor":"acme-bv","amount":1500,"currency":"EUR"}', ...ctx], 2, 'denied, with the reason');
mandate(['check', '--policy', ex('finance'), '--role', 'finance_executor', '--tool', 'issue_payment',
  '--args', '{"vendor":"acme-bv","amount":250,"currency":"EUR"}', ...ctx], 3, 'approval required');
mandate(['check', '--policy', ex('research'), '--role', 'research_reader', '--tool', 'read_text_file',
  '--args', '{"path":"docs/../secrets.env"}'], 2, 'path traversal');

step('4. simulate agents against the invariants');
mandate(['simulate', '--policy', ex('finance'), '--seed', '42'], 0);

step('5. a guarded MCP session (proxy in front of an example server), then audit verify');
const session = spawnSync(process.execPath, [join(root, 'scripts', 'demo-session.mjs')], { cwd: root, stdio: 'inherit' });
if (session.status !== 0) failures++;

step('6. a starter policy for a server of your own (in a temporary folder)');
const scratch = mkdtempSync(join(tmpdir(), 'mandate-demo-'));
try {
  mandate(['init', 'finance-server', '--', process.execPath, join(root, 'test/fixtures/servers/finance-server.mjs')], 0, 'lists its tools, never calls one', scratch);
  mandate(['test', 'finance-server.mandate.yaml'], 0, 'the tests it wrote pass', scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

process.stdout.write(`\n${failures === 0 ? 'demo complete' : `demo finished with ${failures} unexpected result(s)`}\n`);
process.exit(failures === 0 ? 0 : 1);
