// `mandate check` and `mandate test` end to end: the built CLI as a process, real files.

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/cli';
import { tempDir } from '../../support/tmp';

const FINANCE = 'policies/examples/finance.mandate.yaml';
const CTX = ['--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme'];

describe('mandate check', () => {
  it('denies a payment over the limit with exit 2, naming the scope and file:line', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_executor', '--tool', 'issue_payment',
      '--args', '{"vendor":"acme-bv","amount":1500,"currency":"EUR"}', ...CTX]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /`amount` `1500` exceeds max 1000 \(scope max_amount_1000_eur, policies\/examples\/finance\.mandate\.yaml:\d+:\d+\)/);
  });

  it('takes the roles of an --agent the policy binds, as the proxy does with --agent alone (it said "missing --role")', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--agent', 'payments-agent', '--tool', 'list_invoices', ...CTX]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALLOW: finance_executor → list_invoices/);
    const unknown = await runCli(['check', '--policy', FINANCE, '--agent', 'nobody', '--tool', 'list_invoices']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /missing --role: the policy binds no roles to agent `nobody` \(its agents: payments-agent, ledger-bot\)/);
  });

  it('exits 3 when approval is required and 0 when allowed', async () => {
    const pay = await runCli(['check', '--policy', FINANCE, '--role', 'finance_executor', '--tool', 'issue_payment',
      '--args', '{"vendor":"acme-bv","amount":100,"currency":"EUR"}', ...CTX]);
    assert.equal(pay.code, 3);
    const read = await runCli(['check', '--policy', FINANCE, '--role', 'finance_reader', '--tool', 'list_invoices', '--context', 'environment=prod']);
    assert.equal(read.code, 0);
  });

  it('prints effect, rules and reasons as JSON', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_executor', '--tool', 'refund_payment', '--format', 'json']);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout) as { effect: string; rules: Array<{ id: string }>; reasons: Array<{ message: string }> };
    assert.equal(out.effect, 'deny');
    assert.equal(out.rules[0]!.id, 'no-refunds-by-agents');
  });

  it('decides at the time given by --at', async () => {
    const base = ['check', '--policy', 'policies/examples/ops.mandate.yaml', '--role', 'ops_breakglass', '--tool', 'get_service_status', '--context', 'environment=prod', '--context', 'tenant=acme', '--context', 'region=eu-west-1'];
    assert.equal((await runCli([...base, '--at', '2026-11-25T00:00:00Z'])).code, 3);
    const late = await runCli([...base, '--at', '2026-12-20T00:00:00Z']);
    assert.equal(late.code, 2);
    assert.match(late.stdout, /expired/);
  });

  it('refuses malformed --args with one clear line and exit 1', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_executor', '--tool', 'issue_payment', '--args', '{"amount": 1,']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^mandate check: --args is not valid JSON/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('reports a YAML syntax error with file:line:col and exit 1', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'broken.mandate.yaml');
    writeFileSync(file, 'version: 1\nroles:\n  a: { description: x\ngrants: []\n');
    const r = await runCli(['check', '--policy', file, '--role', 'a', '--tool', 't'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.mandate\.yaml:\d+:\d+: error syntax/);
  });

  it('reports unknown keys and wrong types with positions', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'p.mandate.yaml');
    writeFileSync(file, 'version: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: a, tool: t, expiry: tomorrow }\n  - { agent_role: a, tool: t, requires_approval: "yes" }\n');
    const r = await runCli(['check', '--policy', file, '--role', 'a', '--tool', 't'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /p\.mandate\.yaml:4:31: error schema\/unknown-field: unknown field `expiry`/);
    assert.match(r.stderr, /p\.mandate\.yaml:5:50: error schema\/type: `grants\[1\]\.requires_approval` must be a boolean/);
  });

  it('says which file it cannot read', async () => {
    const r = await runCli(['check', '--policy', 'nope.mandate.yaml', '--role', 'a', '--tool', 't']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read policy `nope\.mandate\.yaml`: no such file/);
  });
});

describe('mandate test', () => {
  it('passes the shipped examples', async () => {
    const r = await runCli(['test', 'policies/examples/finance.mandate.yaml', 'policies/examples/research.mandate.yaml', 'policies/examples/ops.mandate.yaml']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /passed, 0 failed/);
  });

  it('fails with exit 1 and says which test and why', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 't.mandate.yaml');
    writeFileSync(file, 'version: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: a, tool: t }\ntests:\n  - { name: wrong on purpose, call: { role: a, tool: t }, expect: deny }\n');
    const r = await runCli(['test', file], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL wrong on purpose\n\s+t\.mandate\.yaml:6:5: expected deny, got allow/);
    assert.match(r.stdout, /without `at` decided at 2026-01-01T00:00:00\.000Z \(fixed, so results never drift\)/);
  });

  it('decides test context as the strings `--context` passes, so it agrees with `mandate check`', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'mfa.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { ops: { description: Deploys. } }', 'grants:',
      '  - { agent_role: ops, tool: deploy, context: { environment: [prod], mfa: { type: string } } }',
      'deny: [{ id: no-mfa, tool: deploy, context: { mfa: [false] }, reason: MFA required }]', 'tests:',
      '  - { name: no mfa is denied, call: { role: ops, tool: deploy, context: { environment: prod, mfa: false } }, expect: deny, reason: no-mfa }', ''].join('\n'));
    const check = await runCli(['check', '--policy', file, '--role', 'ops', '--tool', 'deploy', '--context', 'environment=prod', '--context', 'mfa=false']);
    assert.equal(check.code, 0, 'run time allows the call: the deny compares with a boolean');
    const r = await runCli(['test', file], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /FAIL no mfa is denied.*\n\s+mfa\.mandate\.yaml:7:5: expected deny, got allow: .*read `mfa` as "false"/);
  });

  it('fails tests that cannot fail: a misspelt role or tool, no role', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'v.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { fin: { description: Pays. } }', 'grants: [{ agent_role: fin, tool: pay }]', 'tests:',
      '  - { name: typo role, call: { role: fni, tool: pay }, expect: deny }',
      '  - { name: typo tool, call: { role: fin, tool: pya }, expect: deny }',
      '  - { name: no role, call: { tool: pay }, expect: deny }', ''].join('\n'));
    const r = await runCli(['test', file, '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    const out = JSON.parse(r.stdout) as { failed: number; tests: Array<{ name: string; passed: boolean; failure?: string }> };
    assert.equal(out.failed, 3);
    assert.deepEqual(out.tests.map((t) => [t.name, t.passed, /^cannot fail: /.test(t.failure ?? '')]), [['typo role', false, true], ['typo tool', false, true], ['no role', false, true]]);
  });

  it('exits 1 when a file has no tests, unless --allow-empty', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'none.mandate.yaml');
    writeFileSync(file, 'version: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: a, tool: t }\n');
    const r = await runCli(['test', file], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL none\.mandate\.yaml has no `tests:`: nothing was checked \(--allow-empty accepts this\)$/m);
    assert.match(r.stdout, /^0 passed, 0 failed, 1 file without tests: no test ran$/m);
    const allowed = await runCli(['test', '--allow-empty', file], { cwd: dir });
    assert.equal(allowed.code, 0, allowed.stdout);
    const mixed = await runCli(['test', file, join(ROOT, 'policies/examples/finance.mandate.yaml')], { cwd: dir });
    assert.equal(mixed.code, 1, 'one empty file among others still fails');
  });

  it('prints the instant each test is decided at, and warns when an undated test meets a time-bounded grant', async () => {
    const dir = tempDir('mandate-cli-');
    const file = join(dir, 'bg.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { ops_breakglass: { description: Incidents only., emergency: true } }', 'grants:',
      '  - { id: incident, agent_role: ops_breakglass, tool: restart_service, not_before: 2026-11-20T00:00:00Z, expires: 2026-12-20T00:00:00Z }', 'tests:',
      '  - { name: closed outside an incident, call: { role: ops_breakglass, tool: restart_service }, expect: deny }', ''].join('\n'));
    const r = await runCli(['test', file], { cwd: dir });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^ok {3}closed outside an incident\n {5}warning bg\.mandate\.yaml:6:5: the test names no `at`, .*grant `incident` \(bg\.mandate\.yaml:4:5\) holds only from 2026-11-20T00:00:00Z until 2026-12-20T00:00:00Z: its outcome depends on the date/m);
    assert.match(r.stdout, /^1 passed, 0 failed, 1 warning$/m);
    const json = JSON.parse((await runCli(['test', file, '--format', 'json'], { cwd: dir })).stdout) as { default_at: string; tests: Array<{ at: string; at_default: boolean; warnings?: string[] }> };
    assert.equal(json.default_at, '2026-01-01T00:00:00.000Z');
    assert.equal(json.tests[0]!.at, '2026-01-01T00:00:00.000Z');
    assert.equal(json.tests[0]!.at_default, true);
    assert.equal(json.tests[0]!.warnings?.length, 1);
  });
});

describe('mandate check, test and simulate agree with the proxy on a policy with a `tools_manifest`', () => {
  // The proxy decides with the schema its server lists; lint, simulate and the editor's Explain read the saved
  // manifest (`servers.*.tools_manifest`) for it. `check` and `test` used to ignore it: a call the proxy denies as
  // malformed was APPROVAL REQUIRED in `check`, and a test `mandate test` passed was BROKEN in `mandate simulate`.
  const MEMO = '{"vendor":"acme-bv","amount":250,"currency":"EUR","memo":"x"}';

  it('check denies arguments the server\'s saved schema refuses, without --tools', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_executor', '--tool', 'issue_payment', '--args', MEMO, ...CTX]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /do not match its input schema .*additional properties/);
  });

  it('test fails a test the schema makes wrong, as simulate does', async () => {
    const dir = tempDir('mandate-cli-');
    const text = readFileSync(join(ROOT, FINANCE), 'utf8').replace(/^tests:\n/m, ['tests:',
      '  - { name: memo payment needs approval, call: { role: finance_executor, tool: issue_payment, args: ' + MEMO + ', context: { environment: prod, region: eu-west-1, tenant: acme } }, expect: approval_required }', ''].join('\n'));
    writeFileSync(join(dir, 'finance.mandate.yaml'), text);
    copyFileSync(join(ROOT, 'policies/examples/finance.tools.json'), join(dir, 'finance.tools.json'));
    const t = await runCli(['test', 'finance.mandate.yaml'], { cwd: dir });
    assert.equal(t.code, 1, t.stdout);
    assert.match(t.stdout, /FAIL memo payment needs approval\n\s+finance\.mandate\.yaml:\d+:\d+: expected approval_required, got deny: .*input schema/);
    const s = await runCli(['simulate', '--policy', 'finance.mandate.yaml', '--runs', '200', '--seed', '1'], { cwd: dir });
    assert.equal(s.code, 1, s.stdout);
    assert.match(s.stdout, /BROKEN\s+test `memo payment needs approval`/);
  });
});

describe('mandate subcommands', () => {
  it('names the valid subcommands when given an unknown or missing one', async () => {
    const pins = await runCli(['pins', 'bogus']);
    assert.equal(pins.code, 1);
    assert.match(pins.stderr, /^mandate pins: unknown pins command `bogus` \(expected list, accept\)/);
    const audit = await runCli(['audit']);
    assert.equal(audit.code, 1);
    assert.match(audit.stderr, /^mandate audit: unknown audit command `` \(expected verify, show, review, alerts, export\)/);
  });
});
