// What the CLI reads — policies, manifests, audit logs — from paths that are not ordinary files: devices that
// never end, pipes, files with a byte order mark. A clear one-line error, bounded time and memory, or the content.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, collect, ROOT, runCli, type CliResult } from '../../support/cli';
import { tempDir } from '../../support/tmp';

const FINANCE = join(ROOT, 'policies', 'examples', 'finance.mandate.yaml');

/** Refused with `what` and exit 1 (a read that never ends is killed by the caller's timeout: exit code null). */
function refused(r: CliResult, what: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, what);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
}

describe('mandate: input paths that are not ordinary files', function () {
  this.timeout(60_000);

  // /dev/zero never ends: each of these read it into memory until the machine ran out (3 GB in 15 s)
  const devices: Array<[string, string[], RegExp]> = [
    ['lint, as the policy', ['lint', '/dev/zero'], /cannot read policy `\/dev\/zero`: it is a device, not a file/],
    ['check, as the policy', ['check', '--policy', '/dev/zero', '--role', 'r', '--tool', 't'], /cannot read policy `\/dev\/zero`: it is a device/],
    ['check, as the manifest', ['check', '--policy', FINANCE, '--role', 'r', '--tool', 't', '--tools', '/dev/zero'], /cannot read tool manifest `\/dev\/zero`: it is a device/],
    ['audit verify, as the log', ['audit', 'verify', '/dev/zero'], /cannot read audit log `\/dev\/zero`: it is a device/],
    ['proxy, as the policy', ['proxy', '--policy', '/dev/zero', '--role', 'r', '--', process.execPath, '-e', ''], /cannot read policy `\/dev\/zero`: it is a device/],
    ['report, as the log', ['report', '--policy', FINANCE, '--audit', '/dev/zero'], /cannot read audit log `\/dev\/zero`: it is a device/],
    ['audit alerts, as the log it follows', ['audit', 'alerts', '--policy', FINANCE, '--webhook', 'http://127.0.0.1:1/hook', '/dev/zero'], /cannot read audit log `\/dev\/zero`: it is a device/],
  ];
  for (const [what, args, message] of devices) {
    it(`refuses a device at once: ${what}`, async () => {
      refused(await runCli(args, { timeout: 10_000 }), message);
    });
  }

  /** `mandate ARGS` run by bash, where `<(…)` in ARGS is a real pipe (as users write it); killed after 10 s. */
  function viaBash(args: string): Promise<CliResult> {
    return collect(spawn('bash', ['-c', `exec "$0" "$1" ${args}`, process.execPath, CLI], { cwd: ROOT, timeout: 10_000, killSignal: 'SIGKILL' }));
  }

  it('reads a policy from a pipe (process substitution)', async function () {
    if (process.platform === 'win32') this.skip();
    const policy = join(tempDir(), 'p.mandate.yaml');
    writeFileSync(policy, 'version: 1\nroles: { finance_reader: {} }\ngrants:\n  - { agent_role: finance_reader, tool: list_invoices }\n');
    const r = await viaBash(`check --policy <(cat '${policy}') --role finance_reader --tool list_invoices`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ALLOW/);
  });

  it('a policy read from a pipe whose tools_manifest is relative says why it cannot be found (it named `/dev/fd/finance.tools.json`)', async function () {
    if (process.platform === 'win32') this.skip();
    const why = /tools.manifest `finance\.tools\.json` of server `payments`(: it)? is relative to the policy's folder, but the policy was read from a pipe: give the policy as a file/;
    for (const command of ['check --role finance_reader --tool list_invoices --context environment=prod --policy', 'test', 'lint', 'simulate --runs 10 --policy']) {
      const r = await viaBash(`${command} <(cat '${FINANCE}')`);
      assert.equal(r.code, 1, command + r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, why, command);
      assert.doesNotMatch(r.stdout + r.stderr, /\/dev\/fd\/finance/, command);
    }
  });

  it('stops reading a pipe that never ends', async function () {
    if (process.platform === 'win32') this.skip();
    refused(await viaBash(`lint <(echo 'version: 1'; yes '# comment')`), /cannot read policy `\/dev\/fd\/\d+`: larger than 24 MiB/);
  });

  it('refuses to follow a pipe (export --follow reads at offsets), with a message and not an internal error', async function () {
    if (process.platform === 'win32') this.skip();
    refused(await viaBash(`audit export --otlp http://127.0.0.1:9/v1/logs --follow <(printf '')`), /cannot follow audit log `\/dev\/fd\/\d+`: it is a pipe/);
  });

  it('reads a tool manifest that starts with a byte order mark (as Windows tools write them)', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'bom.tools.json');
    writeFileSync(manifest, `\ufeff${readFileSync(join(ROOT, 'policies', 'examples', 'finance.tools.json'), 'utf8')}`);
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_reader', '--tool', 'list_invoices', '--context', 'environment=prod', '--tools', manifest]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ALLOW/);
  });
});
