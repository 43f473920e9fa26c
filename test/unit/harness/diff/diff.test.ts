// diff(): widened access is found and listed first; a pure refactor changes no decision.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parsePolicy, type ParsedPolicy } from '../../../../policies';
import { diffPolicies, formatDiffText } from '../../../../harness';
import { pairState, widens } from '../../../../harness/diff';

const DIR = join(__dirname, '../../../fixtures/broken/diff');
const AT = Date.parse('2026-06-01T00:00:00Z');

function parse(text: string): ParsedPolicy {
  const r = parsePolicy(text, 'inline.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

function load(name: string): ParsedPolicy {
  const r = parsePolicy(readFileSync(join(DIR, name), 'utf8'), name);
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

describe('harness/diff/diff', () => {
  it('reports widened payments first, with an example the new policy allows', () => {
    const r = diffPolicies(load('payments.before.mandate.yaml'), load('payments.widened.mandate.yaml'), { seed: 1, at: AT });
    assert.equal(r.ok, false);
    assert.deepEqual(r.changedPairs.map((p) => `${p.roles.join('+')} ${p.tool} ${p.old}→${p.new}`), ['payer pay_vendor approval→allow']);
    const kinds = r.changes.map((c) => `${c.from}→${c.to}`).sort();
    assert.deepEqual(kinds, ['approval_required→allow', 'deny→allow']);
    assert.ok(r.changes.every((c) => c.widened));
    const capped = r.changes.find((c) => c.from === 'deny')!;
    assert.ok((capped.example.args as { amount: number }).amount > 1000, 'the deny → allow example is above the old cap');
    assert.match(capped.command, /^mandate check --policy payments\.widened\.mandate\.yaml --role payer --tool pay_vendor /);
  });

  it('gives a widened cap\'s example where the widening begins: the smallest amount above the old cap, for every seed', () => {
    const cap = (max: number): ParsedPolicy => parse(`version: 1
roles: { payer: {} }
scopes: { limit: { args: { amount: { min: 0.01, max: ${max} } } } }
grants:
  - { agent_role: payer, tool: transfer, scope: [limit] }
`);
    for (const seed of [1, 2, 3, 4, 5, 6, 20261125]) {
      const r = diffPolicies(cap(1000), cap(5000), { seed, at: AT });
      const widened = r.changes.find((c) => c.from === 'deny' && c.to === 'allow');
      assert.equal((widened?.example.args as { amount?: unknown } | undefined)?.amount, 1000.001, `seed ${seed}`);
    }
  });

  it('lists narrowed access after widened access and does not fail on it', () => {
    const r = diffPolicies(load('payments.widened.mandate.yaml'), load('payments.before.mandate.yaml'), { seed: 1, at: AT });
    assert.equal(r.ok, true);
    assert.ok(r.changes.length > 0 && r.changes.every((c) => !c.widened));
  });

  it('stays silent on a pure refactor', () => {
    const r = diffPolicies(load('payments.before.mandate.yaml'), load('payments.refactored.mandate.yaml'), { seed: 1, at: AT });
    assert.deepEqual(r.changes, []);
    assert.equal(r.ok, true);
    assert.deepEqual(formatDiffText(r), []);
  });

  it('finds nothing between a policy and itself, without generating a call', () => {
    const p = load('payments.before.mandate.yaml');
    const r = diffPolicies(p, p, { seed: 1, at: AT });
    assert.deepEqual(r.changedPairs, []);
    assert.equal(r.calls, 0);
  });

  it('fingerprints pairs by meaning: a bare context list equals its `in` spelling', () => {
    const a = load('payments.before.mandate.yaml');
    const b = load('payments.refactored.mandate.yaml');
    assert.equal(pairState(compile(a), ['viewer'], 'get_balance').fingerprint, pairState(compile(b), ['viewer'], 'get_balance').fingerprint);
    assert.equal(pairState(compile(a), ['viewer'], 'delete_x').access, 'none');
  });

  it('ranks effects: only more access is a widening', () => {
    assert.equal(widens('deny', 'approval_required'), true);
    assert.equal(widens('approval_required', 'allow'), true);
    assert.equal(widens('allow', 'deny'), false);
    assert.equal(widens('allow', 'approval_required'), false);
  });

  it('finds access widened in time: a later expiry allows calls the old grant denied', () => {
    const grant = (expires: string) => parse(`version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, expires: ${expires} }\n`);
    const r = diffPolicies(grant('2026-07-01T00:00:00Z'), grant('2026-12-01T00:00:00Z'), { seed: 1, at: AT });
    assert.equal(r.ok, false);
    const c = r.changes[0]!;
    assert.equal(`${c.from}→${c.to}`, 'deny→allow');
    assert.ok(Date.parse(c.example.at) >= Date.parse('2026-07-01T00:00:00Z'));
  });
  describe('finds widenings outside the pairs both policies name', () => {
    const HEAD = 'version: 1\nroles: { reader: {}, admin: {} }\n';
    const widened = (a: string, b: string) => diffPolicies(parse(HEAD + a), parse(HEAD + b), { seed: 1, at: AT });

    for (const [name, grants] of [
      ['a catch-all grant beside an exact one', '  - { agent_role: reader, tool: read_file }\n  - { agent_role: reader, tool: "*", requires_approval: true }\n'],
      ['`*` in the same tool list', '  - { agent_role: reader, tools: [read_file, "*"], requires_approval: true }\n'],
      ['a glob whose plain instance is the named tool', '  - { agent_role: reader, tools: [read_file, "read_file*"] }\n'],
    ] as const) {
      it(`${name}: a tool no policy names is reached`, () => {
        const r = widened('grants:\n  - { agent_role: reader, tool: read_file }\n', `grants:\n${grants}`);
        assert.equal(r.ok, false);
        assert.ok(r.changes.some((c) => c.widened && c.roles === 'reader' && c.tool !== 'read_file' && c.from === 'deny'), JSON.stringify(r.changes.map((c) => c.tool)));
      });
    }

    it('a value added to a long allow-list (the pool never cuts what differs)', () => {
      const vendors = Array.from({ length: 30 }, (_, i) => `vendor-${String(i).padStart(2, '0')}`);
      const policy = (list: string[]) => `scopes: { known: { args: { vendor: { in: [${list.join(', ')}] } } } }\ngrants:\n  - { agent_role: reader, tool: pay, scope: [known] }\n`;
      const r = widened(policy(vendors), policy([...vendors, 'mallory-offshore']));
      assert.equal(r.ok, false);
      const c = r.changes.find((x) => x.widened)!;
      assert.equal(`${c.from}→${c.to}`, 'deny→allow');
      assert.equal((c.example.args as { vendor: string }).vendor, 'mallory-offshore');
    });

    it('an agent bound to other roles: decided with its old roles before and its new roles after', () => {
      const grants = 'grants:\n  - { agent_role: reader, tool: read_file }\n  - { agent_role: admin, tool: drop_database }\n';
      const r = widened(`${grants}agents: { bot: { roles: [reader] } }\n`, `${grants}agents: { bot: { roles: [admin] } }\n`);
      assert.equal(r.ok, false);
      assert.ok(r.settings.some((s) => s.section === 'agents' && s.subject === 'agent bot' && s.widened && s.added.includes('admin')));
      const c = r.changes.find((x) => x.agent === 'bot' && x.widened)!;
      assert.deepEqual([c.oldRoles, c.roles, c.tool, c.from, c.to], ['reader', 'admin', 'drop_database', 'deny', 'allow']);
      assert.ok(r.changes.some((x) => x.agent === 'bot' && !x.widened && x.tool === 'read_file'), 'and it loses read_file');
      assert.ok(formatDiffText(r).some((l) => l.startsWith('WIDENED  agent bot (reader → admin) → drop_database: deny → allow')));
      assert.equal(widened(`${grants}agents: { bot: { roles: [reader, admin] } }\n`, `${grants}agents: { bot: { roles: [admin, reader] } }\n`).ok, true);
    });

    it('resources, prompts, server requests and audit settings', () => {
      const base = 'grants:\n  - { agent_role: reader, tool: read_file }\nresources: [{ agent_role: reader, uris: ["docs://*"] }]\n'
        + 'prompts: [{ agent_role: reader, prompts: [summarise] }]\naudit: { redact: [password, card_number] }\n';
      const wider = 'grants:\n  - { agent_role: reader, tool: read_file }\nresources: [{ agent_role: reader, uris: ["docs://*", "*"] }]\n'
        + 'prompts: [{ agent_role: reader, prompts: ["*"] }]\nserver_requests: { allow: [ping, sampling/createMessage] }\n'
        + 'audit: { redact: [card_number], on_write_error: allow }\nfailure_mode: open\n';
      const r = widened(base, wider);
      assert.equal(r.ok, false);
      assert.deepEqual(r.changes, []);
      const w = r.settings.filter((s) => s.widened).map((s) => `${s.section} ${s.subject} +${s.added.join(',')} -${s.removed.join(',')}`);
      assert.deepEqual(w.sort(), ['audit on_write_error +allow -deny', 'audit redact + -password', 'failure_mode  +open -closed',
        'prompts reader +* -', 'resources reader +* -', 'server_requests  +sampling/createMessage -roots/list,elicitation/create']);
      assert.ok(r.settings.some((s) => s.section === 'server_requests' && s.removed.includes('roots/list') && s.widened), 'one line per section');
      const text = formatDiffText(r);
      assert.ok(text.includes('WIDENED  resources for reader: now allows "*"'), text.join('\n'));
      assert.ok(text.includes('WIDENED  audit.redact: "password" now written to the log in clear'), text.join('\n'));
      assert.match(text.at(-1)!, /: 6 widened, 0 narrowed/);
      // back again everything narrows, except the requests the default list allows and `wider` did not
      const back = widened(wider, base);
      assert.deepEqual(back.settings.filter((s) => s.widened).map((s) => `${s.section} +${s.added.join(',')}`), ['server_requests +roots/list,elicitation/create']);
      assert.equal(back.settings.filter((s) => !s.widened).length, 5);
      const covered = widened(base, base.replace('["docs://*"]', '["docs://*", "docs://api/*"]'));
      assert.deepEqual([covered.ok, covered.settings], [true, []], 'a glob the old list already covers is no change');
    });

    it('a role-scoped deny removed, for a caller holding that role and a granted one', () => {
      const grants = 'roles: { fin: {}, contractor: {} }\ngrants:\n  - { agent_role: fin, tool: pay }\n  - { agent_role: contractor, tool: timesheet }\n';
      const r = diffPolicies(parse(`version: 1\n${grants}deny:\n  - { tool: pay, roles: [contractor], reason: contractors do not pay }\n`), parse(`version: 1\n${grants}`), { seed: 1, at: AT });
      assert.equal(r.ok, false);
      const c = r.changes.find((x) => x.widened)!;
      assert.deepEqual([c.roles.split('+').sort().join('+'), c.tool, c.from, c.to], ['contractor+fin', 'pay', 'deny', 'allow']);
    });

    it('a deny naming an undefined scope removed (it denied every call it applies to)', () => {
      const grants = 'grants:\n  - { agent_role: reader, tool: pay }\n';
      const before = parse(`${HEAD}${grants}deny:\n  - { tool: pay, scope: [no_such_scope], reason: frozen }\n`);
      assert.equal(pairState(compile(before), ['reader'], 'pay').access, 'none');
      const r = diffPolicies(before, parse(HEAD + grants), { seed: 1, at: AT });
      assert.equal(r.ok, false);
      assert.ok(r.changes.some((c) => c.widened && c.tool === 'pay' && c.from === 'deny' && c.to === 'allow'));
    });
  });
});
