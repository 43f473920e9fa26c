// The starter policy is least privilege: reads to a read-only role, destructive tools behind approval, no wildcards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDestructive, runPolicyTests, simulate, starterPolicy } from '../../../harness';
import { parsePolicy, type ToolManifest } from '../../../policies';
import { lintText } from '../../../policies/lint';
import { parse } from 'yaml';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../editor/fixtures/filesystem.tools.json'), 'utf8')) as ToolManifest;

describe('starter policy (mandate init, New Policy from MCP Server)', () => {
  const text = starterPolicy('fs', ['mcp-server-filesystem', '.'], manifest.tools, { manifest: 'fs.tools.json' });
  const r = parsePolicy(text, 'fs.mandate.yaml');

  it('is a schema-valid policy with no lint errors', () => {
    assert.ok(r.ok, JSON.stringify(!r.ok && r.findings));
    const errors = lintText(text, 'fs.mandate.yaml', { tools: manifest }).filter((f) => f.severity === 'error');
    assert.deepEqual(errors, []);
  });
  it('grants every read-only tool to the reader and nothing else', () => {
    assert.ok(r.ok);
    const reader = r.parsed.policy.grants!.filter((g) => g.agent_role === 'fs_reader').flatMap((g) => g.tools ?? []);
    assert.deepEqual(reader, manifest.tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name).sort());
  });
  it('puts destructive tools behind approval', () => {
    assert.ok(r.ok);
    const risky = r.parsed.policy.grants!.find((g) => g.requires_approval)!.tools!;
    assert.ok(risky.includes('write_file') && risky.includes('move_file'));
    assert.ok(!r.parsed.policy.grants!.some((g) => !g.requires_approval && (g.tools ?? []).some((t) => risky.includes(t))));
  });
  it('leaves out a server\'s tool whose name would be a glob, and keeps a line break in the server name inside its comment', () => {
    const hostile = [{ name: '*', annotations: { readOnlyHint: true } }, { name: 'search*', annotations: { readOnlyHint: true } }, { name: 'read', annotations: { readOnlyHint: true } }];
    const ok = parsePolicy(starterPolicy('gh', ['gh'], hostile), 'gh.mandate.yaml');
    assert.ok(ok.ok);
    assert.deepEqual(ok.parsed.policy.grants?.map((g) => g.tools), [['read']]);
    // a server name with a line break is not a valid policy name (the schema says so), but it adds no policy text
    const t = starterPolicy('gh\nagents: { intruder: { roles: [gh_reader] } }', ['gh'], hostile);
    assert.equal((parse(t) as Record<string, unknown>)['agents'], undefined, 'the server name did not add policy text');
    assert.match(t, /# Left out, as a name with `\*` would grant every tool it matches: "\*", "search\*"/);
  });

  it('simulates green with its manifest: no invariant is invalid or vacuous, even for a read-only server', async () => {
    const readOnly = manifest.tools.filter((t) => t.annotations?.readOnlyHint === true);
    for (const tools of [manifest.tools, readOnly]) {
      const p = parsePolicy(starterPolicy('fs', ['mcp-server-filesystem', '.'], tools, { manifest: 'fs.tools.json' }), 'fs.mandate.yaml');
      assert.ok(p.ok);
      const report = await simulate(p.parsed, { runs: 2000, seed: 20261125, at: Date.parse('2026-06-01T00:00:00Z'), tools: { tools } });
      assert.deepEqual(report.properties.filter((x) => x.kind === 'invariant' && x.status !== 'passed').map((x) => `${x.name}: ${x.status} ${x.note ?? ''}`), []);
      assert.equal(report.ok, true);
    }
  });
  it('ships tests that pass on it, one per kind of grant and the reader\'s refusal', () => {
    assert.ok(r.ok);
    const outcomes = runPolicyTests(r.parsed);
    assert.deepEqual(outcomes.filter((o) => !o.passed).map((o) => `${o.test.name}: ${o.failure}`), []);
    assert.deepEqual([...new Set(outcomes.map((o) => o.test.expect))].sort(), ['allow', 'approval_required', 'deny']);
  });
  it('for a server without annotations (every tool destructive by MCP default): one writer role, everything behind approval, tests and simulation green', async () => {
    const bare = [{ name: 'send_mail' }, { name: 'list_mail' }];
    const t = starterPolicy('mail', ['mail-server'], bare, { env: { MAIL_TOKEN: '${MAIL_TOKEN}' } });
    const p = parsePolicy(t, 'mail.mandate.yaml');
    assert.ok(p.ok, JSON.stringify(!p.ok && p.findings));
    assert.deepEqual(Object.keys(p.parsed.policy.roles ?? {}), ['mail_writer']);
    assert.deepEqual(p.parsed.policy.grants, [{ agent_role: 'mail_writer', tools: ['list_mail', 'send_mail'], requires_approval: true }]);
    assert.deepEqual(p.parsed.policy.servers!['mail']!.env, { MAIL_TOKEN: '${MAIL_TOKEN}' });
    assert.deepEqual(lintText(t, 'mail.mandate.yaml', { tools: { tools: bare } }).filter((f) => f.severity === 'error'), []);
    assert.deepEqual(runPolicyTests(p.parsed).filter((o) => !o.passed).map((o) => o.failure), []);
    const report = await simulate(p.parsed, { runs: 1000, seed: 20261125, at: Date.parse('2026-06-01T00:00:00Z'), tools: { tools: bare } });
    assert.equal(report.ok, true, JSON.stringify(report.properties.filter((x) => x.status !== 'passed')));
  });
  it('never uses a wildcard', () => {
    assert.ok(!text.includes('*'));
  });
  it('reads MCP defaults: no annotations means destructive, readOnlyHint wins', () => {
    assert.equal(isDestructive({ name: 'x' }), true);
    assert.equal(isDestructive({ name: 'x', annotations: { readOnlyHint: true, destructiveHint: true } }), false);
    assert.equal(isDestructive({ name: 'x', annotations: { destructiveHint: false } }), false);
  });

  describe('a hostile or odd server\'s tool list', () => {
    const ro = { readOnlyHint: true };
    const valid = (t: string): void => {
      const p = parsePolicy(t, 'h.mandate.yaml');
      assert.ok(p.ok, JSON.stringify(!p.ok && p.findings.slice(0, 3)));
      assert.deepEqual(lintText(t, 'h.mandate.yaml').filter((f) => f.severity === 'error'), []);
    };

    it('leaves out names a policy cannot hold (empty, spaces, newlines, `?`, over 200 characters) instead of writing an invalid policy', () => {
      const odd = ['', '- x', 'a\nb: 1', 'del?', '#c', 'x'.repeat(201)];
      const t = starterPolicy('h', ['h'], [...odd.map((name) => ({ name, annotations: ro })), { name: 'read', annotations: ro }]);
      valid(t);
      const p = parsePolicy(t, 'h.mandate.yaml');
      assert.ok(p.ok);
      assert.deepEqual(p.parsed.policy.grants, [{ agent_role: 'h_reader', tools: ['read'] }]);
      assert.match(t, /^# Left out, as a policy cannot name them .*"del\?"/m);
    });

    it('grants a name listed twice with different definitions to no one (the proxy denies every call to it)', () => {
      const t = starterPolicy('h', ['h'], [{ name: 'dup', annotations: ro }, { name: 'dup' }, { name: 'read', annotations: ro }]);
      valid(t);
      const p = parsePolicy(t, 'h.mandate.yaml');
      assert.ok(p.ok);
      assert.deepEqual(p.parsed.policy.grants!.flatMap((g) => g.tools ?? []), ['read']);
    });

    it('splits more than 1000 tools over several grants (a grant names at most 1000)', () => {
      const many = Array.from({ length: 2500 }, (_, i) => ({ name: `t${i}`, annotations: ro }));
      const t = starterPolicy('h', ['h'], many);
      const p = parsePolicy(t, 'h.mandate.yaml');
      assert.ok(p.ok, JSON.stringify(!p.ok && p.findings.slice(0, 3)));
      assert.equal(p.parsed.policy.grants!.flatMap((g) => g.tools ?? []).length, 2500);
    });

    it('writes no deny test its arguments alone decide (a `$ref` the plain reading does not follow): it could not fail', () => {
      const ref = { type: 'object', required: ['a'], properties: { a: { $ref: '#/$defs/x' } }, $defs: { x: { type: 'string', minLength: 3 } } };
      const tools = [{ name: 'read', annotations: ro }, { name: 'wipe', inputSchema: ref }];
      const t = starterPolicy('h', ['h'], tools);
      const p = parsePolicy(t, 'h.mandate.yaml');
      assert.ok(p.ok);
      assert.deepEqual(runPolicyTests(p.parsed, undefined, { tools }).filter((o) => !o.passed).map((o) => o.failure), []);
    });

    it('makes no test arguments from schemas asking for huge values (it hung on nested minItems, and wrote a 400 MB policy for minLength)', () => {
      const nested = { type: 'object', required: ['a'], properties: { a: { type: 'array', minItems: 1000, items: { type: 'array', minItems: 1000, items: { type: 'array', minItems: 1000, items: { type: 'string', minLength: 100 } } } } } };
      const long = { type: 'object', required: ['a'], properties: { a: { type: 'string', minLength: 400_000_000 } } };
      const started = Date.now();
      const t = starterPolicy('h', ['h'], [{ name: 'nested', inputSchema: nested, annotations: ro }, { name: 'long', inputSchema: long, annotations: ro }]);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      assert.ok(t.length < 10_000, `${t.length} characters`);
      valid(t);
    });
  });
});
