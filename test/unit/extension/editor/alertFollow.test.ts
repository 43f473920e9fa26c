// The editor's alert followers follow policy edits: an edit that parses re-builds the alert rules from where
// the log stood (records already seen never alert again); one that does not parse keeps the last good rules
// and says so once. Real files, the follower's own polling (short interval), no VS Code.

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../../../harness';
import { LogFollowers } from '../../../../extension/editor/alertFollow';
import { sha256 } from '../../../../extension/proxy/hash';
import { GENESIS, chainEntry, type ChainHead } from '../../../../policies';
import { decision } from '../../harness/review/fixture';
import { tempDir } from '../../../support/tmp';

const POLICY = (alerts: string): string => ['version: 1', 'roles: { reader: { description: Reads. } }', 'grants: [{ agent_role: reader, tools: [read_file] }]', alerts, ''].join('\n');
const burst = (count: number, extra = ''): string => POLICY(`alerts: {${extra} rules: [{ on: denial_burst, count: ${count}, within_seconds: 600 }, { on: audit_failure }] }`);

/** A log with a writer that chains its records as the proxy does. */
function log(dir: string): { path: string; deny(): void; skip(): void } {
  const path = join(dir, 'audit.jsonl');
  writeFileSync(path, '');
  let head: ChainHead = { seq: 0, hash: GENESIS };
  let n = 0;
  const deny = (): void => {
    n++;
    const e = chainEntry(decision(`2026-11-01T10:00:${String(n).padStart(2, '0')}Z`, String(n), 'mallory', 'reader', 'delete_file', 'deny', ['no-deletes']), head, sha256);
    head = e.head;
    appendFileSync(path, `${e.line}\n`);
  };
  // a record lost from the log: the writer moves on, the file never holds it
  const skip = (): void => {
    const e = chainEntry(decision('2026-11-01T10:00:59Z', 'lost', 'mallory', 'reader', 'delete_file', 'deny', ['no-deletes']), head, sha256);
    head = e.head;
  };
  return { path, deny, skip };
}

function sink(): { alerts: Alert[]; denials: number; warnings: string[]; infos: string[]; alert(a: Alert): void; denial(): void; warn(m: string): void; info(m: string): void } {
  return {
    alerts: [], denials: 0, warnings: [], infos: [],
    alert(a) { this.alerts.push(a); }, denial() { this.denials++; }, warn(m) { this.warnings.push(m); }, info(m) { this.infos.push(m); },
  };
}

/** Wait until `pred` holds (the follower polls), or `ms` passes: the assertions that follow say what went wrong. */
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !pred() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
}

/** fs.watchFile takes its first stat a moment after it starts: what changes before that is seen only at the next change. */
const watching = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

describe('editor/alertFollow', () => {
  let followers: LogFollowers | undefined;
  afterEach(() => { followers?.dispose(); followers = undefined; });

  /** A log and its policy (`text`) in a fresh folder, followed (polling every 20 ms) from the moment watching begins. */
  async function start(text: string): Promise<{ policy: string; l: ReturnType<typeof log>; s: ReturnType<typeof sink>; f: LogFollowers }> {
    const dir = tempDir('mandate-alertfollow-');
    const policy = join(dir, 'p.mandate.yaml');
    writeFileSync(policy, text);
    const l = log(dir);
    const s = sink();
    const f = new LogFollowers(s, 20);
    followers = f;
    f.follow([{ audit: l.path, policy }]);
    await watching();
    return { policy, l, s, f };
  }

  it('re-builds the alert rules when the policy is edited, from where the log stood: records already seen do not alert again', async () => {
    const { policy, l, s } = await start(burst(3));
    l.deny(); l.deny();
    await until(() => s.denials === 2);
    assert.equal(s.alerts.length, 0, 'two denials: below the burst of three');

    // a burst of one: the two denials already seen must not raise it now; the next one does, alone
    writeFileSync(policy, burst(1));
    await until(() => s.infos.length === 1);
    l.deny();
    await until(() => s.denials === 3 && s.alerts.length > 0);
    assert.deepEqual(s.alerts.map((a) => [a.kind, a.seq]), [['denial_burst', [2]]]);

    // the chain goes on across the edit: a record missing after it is caught (a fresh follower would anchor on it)
    l.skip(); l.deny();
    await until(() => s.denials === 4 && s.alerts.length > 2);
    assert.deepEqual(s.alerts.slice(1).map((a) => a.kind).sort(), ['audit_failure', 'denial_burst']);
    assert.match(s.alerts.find((a) => a.kind === 'audit_failure')!.message, /expected seq 3/);

    // `alerts.editor: false`: nothing more in the editor
    writeFileSync(policy, burst(1, ' editor: false,'));
    await until(() => s.infos.length === 2);
    l.deny();
    await until(() => s.denials === 5);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.alerts.length, 3, 'alerts.editor: false keeps them out of the editor');

    // and back on, with a burst of two: the denial seen while they were off does not count
    writeFileSync(policy, burst(2));
    await until(() => s.infos.length === 3);
    l.deny();
    await until(() => s.denials === 6);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.alerts.length, 3);
    l.deny();
    await until(() => s.denials === 7 && s.alerts.length > 3);
    assert.deepEqual(s.alerts.slice(3).map((a) => [a.kind, a.seq]), [['denial_burst', [6, 7]]]);
    assert.deepEqual(s.warnings, []);
  });

  it('keeps the last good rules when an edit does not parse, and says so once', async () => {
    const { policy, l, s } = await start(burst(1));

    writeFileSync(policy, burst(1).replace('grants:', 'grnats:'));
    await until(() => s.warnings.length > 0);
    l.deny();
    await until(() => s.denials === 1 && s.alerts.length > 0);
    assert.deepEqual(s.alerts.map((a) => [a.kind, a.seq]), [['denial_burst', [0]]], 'the last good rules still alert');
    // another broken edit, and more records: no second message
    writeFileSync(policy, `${burst(1).replace('grants:', 'grnats:')}# still broken\n`);
    await new Promise((r) => setTimeout(r, 200));
    l.deny();
    await until(() => s.denials === 2 && s.alerts.length > 1);
    assert.equal(s.alerts.length, 2);
    assert.equal(s.warnings.length, 1, JSON.stringify(s.warnings));
    assert.match(s.warnings[0]!, /p\.mandate\.yaml.*does not parse.*last good/);

    // fixed: the edit takes, and a later broken one is reported again
    writeFileSync(policy, burst(2));
    await until(() => s.infos.length === 1);
    l.deny();
    await until(() => s.denials === 3);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.alerts.length, 2, 'a burst of two now');
    writeFileSync(policy, 'version: [');
    await until(() => s.warnings.length > 1);
    assert.equal(s.warnings.length, 2);
  });

  it('lets go of a log whose server is no longer offered (it was polled for the life of the window), and takes it up again from its end', async () => {
    const { policy, l, s, f } = await start(burst(1));
    l.deny();
    await until(() => s.denials === 1);
    f.follow([]); // the guarded server is gone from the offer
    l.deny();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.denials, 1, 'no longer followed');
    f.follow([{ audit: l.path, policy }]);
    await watching();
    l.deny();
    await until(() => s.denials === 2);
    assert.equal(s.denials, 2, 'followed again, from where the log ends now (the denial made meanwhile is not read)');
  });
});
