// Flags with bad values, as a user types them: a clear one-line error (exit 1), never silently an empty answer.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { pinOf, pinsPath, type Pin } from '../../../extension/proxy/pins';
import { SAMPLE_ENTRIES, writeAuditLog } from '../../support/audit';
import { ROOT, runCli } from '../../support/cli';
import { tempDir } from '../../support/tmp';

const FINANCE = join(ROOT, 'policies', 'examples', 'finance.mandate.yaml');

const writeLog = (): string => writeAuditLog(SAMPLE_ENTRIES.slice(0, 2));

describe('mandate: flags with bad values', function () {
  this.timeout(60_000);

  it('audit show refuses a --decision or --kind no record can have (a typo printed nothing, exit 0)', async () => {
    const log = writeLog();
    const decision = await runCli(['audit', 'show', log, '--decision', 'denied']);
    assert.equal(decision.code, 1, decision.stdout);
    assert.match(decision.stderr, /--decision expects one of allow, deny, approval_required, .*got `denied`/);
    const kind = await runCli(['audit', 'show', log, '--kind', 'decisions']);
    assert.equal(kind.code, 1, kind.stdout);
    assert.match(kind.stderr, /--kind expects one of session, decision, .*got `decisions`/);
    const ok = await runCli(['audit', 'show', log, '--decision', 'deny', '--kind', 'decision']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /DENY pay/);
  });

  it('pins list names a --server that has no pins, and a folder with none (a typo read "0 pinned, 0 changed"; the wrong folder printed nothing)', async () => {
    const dir = tempDir();
    const pins = join(dir, 'pins');
    mkdirSync(pins);
    writeFileSync(pinsPath(pins, 'finance-server'), JSON.stringify({ version: 1, server: 'finance-server', tools: {}, pending: {} }));
    const typo = await runCli(['pins', 'list', '--dir', pins, '--server', 'finance_server']);
    assert.equal(typo.code, 1, typo.stdout);
    assert.match(typo.stderr, /no pins for server `finance_server` in `.*pins`; servers with pins there: finance-server/);
    const ok = await runCli(['pins', 'list', '--dir', pins, '--server', 'finance-server']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^finance-server: 0 pinned, 0 changed$/m);
    const none = await runCli(['pins', 'list', '--dir', join(dir, 'elsewhere')]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^no pins in `.*elsewhere` \(a proxy writes them to its --pins-dir, by default \.mandate\/pins in the folder it runs in\)$/m);
  });

  it('pins list prints an accept command for the --dir it listed, and pins accept names a --server with no pins', async () => {
    const dir = tempDir();
    const pins = join(dir, 'pins');
    mkdirSync(pins);
    const pin = (description: string): Pin => pinOf({ name: 'pay', description, inputSchema: { type: 'object' } }, '2026-11-26T00:00:00.000Z');
    const changed = pin('Pay anyone.');
    writeFileSync(pinsPath(pins, 'finance-server'), JSON.stringify({ version: 1, server: 'finance-server', tools: { pay: pin('Pay a vendor.') }, pending: { pay: changed } }));
    const list = await runCli(['pins', 'list', '--dir', 'pins'], { cwd: dir });
    assert.equal(list.code, 1, list.stderr);
    // the command printed once lacked --dir: run as printed, it looked in .mandate/pins and said "nothing to accept"
    const printed = /accept after review: mandate (pins accept .*)$/m.exec(list.stdout)?.[1];
    assert.equal(printed, `pins accept --server=finance-server --tool=pay --digest ${changed.digest} --dir=pins`, list.stdout);
    const elsewhere = await runCli(['pins', 'accept', '--server=finance-server', '--tool=pay'], { cwd: dir });
    assert.equal(elsewhere.code, 1, elsewhere.stdout);
    assert.match(elsewhere.stderr, /no pins for server `finance-server` in `.*\.mandate\/pins`; no server has pins there/);
    const accepted = await runCli(printed.split(' '), { cwd: dir });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, new RegExp(`^accepted \`pay\` \\(${changed.digest.slice(0, 12)}\\) for \`finance-server\`$`, 'm'));
  });

  it('audit show --limit takes a whole number (1.5 showed one record)', async () => {
    const r = await runCli(['audit', 'show', writeLog(), '--limit', '1.5']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /--limit expects a whole number/);
  });

  it('audit show --limit 0 shows no record (it showed them all)', async () => {
    const r = await runCli(['audit', 'show', writeLog(), '--limit', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const one = await runCli(['audit', 'show', writeLog(), '--limit', '1']);
    assert.match(one.stdout, /^#1 .*DENY pay/);
  });

  it('a negative value given as `--seed -5` is explained, not only called "ambiguous"', async () => {
    const r = await runCli(['simulate', '--policy', FINANCE, '--seed', '-5', '--runs', '5']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--seed=-5/);
  });

  it('check refuses the same --context key twice (the last one silently won)', async () => {
    const r = await runCli(['check', '--policy', FINANCE, '--role', 'finance_reader', '--tool', 'list_invoices', '--context', 'environment=dev', '--context', 'environment=prod']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /--context `environment` given twice/);
  });
});
