// `mandate diff` end to end: widened access exits 1 and is listed first; a pure refactor is silent.

import assert from 'node:assert/strict';
import { runCli } from '../../support/cli';

const DIR = 'test/fixtures/broken/diff';
const AT = ['--at', '2026-06-01T00:00:00Z'];

describe('mandate diff', () => {
  it('exits 1 when access widens, widened changes first with a reproducing check', async () => {
    const r = await runCli(['diff', `${DIR}/payments.before.mandate.yaml`, `${DIR}/payments.widened.mandate.yaml`, ...AT]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^WIDENED {2}payer → pay_vendor: (approval_required|deny) → allow \(\d+ generated calls?\)$/);
    assert.match(r.stdout, /check: {3}mandate check --policy test\/fixtures\/broken\/diff\/payments\.widened\.mandate\.yaml --role payer --tool pay_vendor /);
    assert.match(lines.at(-1)!, /: 2 widened, 0 narrowed/);
  });

  it('is silent and exits 0 on a pure refactor', async () => {
    const r = await runCli(['diff', `${DIR}/payments.before.mandate.yaml`, `${DIR}/payments.refactored.mandate.yaml`, ...AT]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('exits 0 when access only narrows, and reports it as JSON', async () => {
    const r = await runCli(['diff', `${DIR}/payments.widened.mandate.yaml`, `${DIR}/payments.before.mandate.yaml`, ...AT, '--format', 'json']);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout) as { ok: boolean; changes: Array<{ widened: boolean }> };
    assert.equal(report.ok, true);
    assert.ok(report.changes.length > 0 && report.changes.every((c) => !c.widened));
  });

  it('wants exactly two files', async () => {
    const r = await runCli(['diff', `${DIR}/payments.before.mandate.yaml`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^mandate diff: expected two policy files, got 1$/m);
  });
});
