// `mandate check` and `mandate test` end to end: the built CLI as a process, real files.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../support/cli';
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
