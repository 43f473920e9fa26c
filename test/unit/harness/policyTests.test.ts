// Policy tests are decided as `mandate check` decides the same call, and a test that cannot fail does not pass.

import assert from 'node:assert/strict';
import { compile, decide, parsePolicy, type ParsedPolicy } from '../../../policies';
import { DEFAULT_TEST_TIME, runPolicyTests, testContext } from '../../../harness';

function parse(text: string): ParsedPolicy {
  const r = parsePolicy(text, 'p.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

const MFA = `version: 1
roles: { ops: { description: Deploys. } }
grants:
  - { agent_role: ops, tool: deploy, context: { environment: [prod], mfa: { type: string } } }
deny:
  - { id: no-mfa, tool: deploy, context: { mfa: [false] }, reason: MFA required }
  - { id: too-risky, tool: deploy, context: { risk: [3] }, reason: Too risky }
tests:
  - { name: no mfa is denied, call: { role: ops, tool: deploy, context: { environment: prod, mfa: false } }, expect: deny, reason: no-mfa }
  - { name: risk 3 is denied, call: { role: ops, tool: deploy, context: { environment: prod, mfa: "true", risk: 3 } }, expect: deny, reason: too-risky }
`;

describe('harness/policyTests', () => {
  describe('context values are decided as the strings `--context k=v` passes', () => {
    it('a test whose YAML boolean or number matches a deny no real call can trigger fails, as `check` allows that call', () => {
      const parsed = parse(MFA);
      const [mfa, risk] = runPolicyTests(parsed);
      // what `mandate check --context environment=prod --context mfa=false` decides
      const checked = decide(compile(parsed), { principal: 'cli', roles: ['ops'], tool: 'deploy', args: {}, context: { environment: 'prod', mfa: 'false' }, now: DEFAULT_TEST_TIME });
      assert.equal(checked.effect, 'allow');
      assert.equal(mfa!.decision.effect, checked.effect, 'the test decides what check decides');
      assert.equal(mfa!.passed, false);
      assert.match(mfa!.failure!, /^expected deny, got allow: .*read `mfa` as "false"/);
      assert.equal(risk!.passed, false);
      assert.match(risk!.failure!, /read `risk` as "3"/);
    });

    it('passes when the policy compares strings, as run time does', () => {
      const outcomes = runPolicyTests(parse(MFA.replace('mfa: [false]', 'mfa: ["false"]').replace('risk: [3]', 'risk: ["3"]')));
      assert.deepEqual(outcomes.map((o) => [o.test.name, o.passed, o.failure]), [['no mfa is denied', true, undefined], ['risk 3 is denied', true, undefined]]);
    });

    it('stringifies every JSON type and keeps odd keys as own data', () => {
      const ctx = testContext({ tool: 't', context: { a: false, b: 3, c: null, d: 'x', e: [1], ['__proto__']: 'p' } });
      assert.deepEqual({ ...ctx }, { a: 'false', b: '3', c: 'null', d: 'x', e: '[1]', ['__proto__']: 'p' });
      assert.equal(Object.getPrototypeOf(ctx), Object.prototype);
    });
  });

  describe('tests that cannot fail', () => {
    const POLICY = `version: 1
roles: { fin: { description: Pays. } }
grants: [{ agent_role: fin, tool: pay }]
deny: [{ id: no-refunds, tools: ["refund_*"], reason: People refund. }]
tests:
  - { name: typo role, call: { role: fni, tool: pay }, expect: deny }
  - { name: typo tool, call: { role: fin, tool: pya }, expect: deny }
  - { name: no role, call: { tool: pay }, expect: deny }
  - { name: agent only, call: { agent: bot, tool: pay }, expect: deny }
  - { name: a typo beside a declared role, call: { roles: [fin, fni], tool: pay }, expect: allow }
  - { name: an unknown role beside a declared one, call: { roles: [fin, auditor], tool: pay }, expect: allow }
  - { name: unknown tools stay denied, call: { role: fin, tool: drop_database }, expect: deny }
  - { name: unknown roles get nothing, call: { role: intern, tool: pay }, expect: deny }
  - { name: a tool a deny glob names, call: { role: fin, tool: refund_payment }, expect: deny, reason: no-refunds }
  - { name: a real deny, call: { role: fin, tool: pay, args: 1 }, expect: deny }
`;
    it('fails a test naming a misspelt role or tool, or no role, saying why', () => {
      const o = runPolicyTests(parse(POLICY));
      const by = new Map(o.map((x) => [x.test.name, x]));
      assert.match(by.get('typo role')!.failure!, /^cannot fail: role `fni` is not declared in `roles:` \(did you mean `fin`\?\): the engine gives an undeclared role nothing, so every call is denied/);
      assert.match(by.get('typo tool')!.failure!, /^cannot fail: no grant or deny rule names tool `pya` \(did you mean `pay`\?\): every call to it is denied/);
      assert.match(by.get('no role')!.failure!, /^cannot fail: the call names no role: /);
      assert.match(by.get('agent only')!.failure!, /`agent` names the caller, not its roles/);
      assert.match(by.get('a typo beside a declared role')!.failure!, /role `fni` is not declared in `roles:` \(did you mean `fin`\?\)/);
      for (const name of ['an unknown role beside a declared one', 'a tool a deny glob names', 'a real deny']) {
        assert.equal(by.get(name)!.passed, true, by.get(name)!.failure);
        assert.deepEqual(by.get(name)!.warnings, [], name);
      }
    });

    it('passes a deliberate guard on an unknown tool or role (a later rule reaching it makes it fail), with a warning', () => {
      const by = new Map(runPolicyTests(parse(POLICY)).map((x) => [x.test.name, x]));
      for (const [name, what] of [['unknown tools stay denied', /no grant or deny rule names tool `drop_database`/], ['unknown roles get nothing', /role `intern` is not declared/]] as const) {
        const o = by.get(name)!;
        assert.equal(o.passed, true, o.failure);
        assert.equal(o.warnings.length, 1);
        assert.match(o.warnings[0]!, what);
        assert.match(o.warnings[0]!, /fails only once a rule reaches it/);
      }
      // a deny rule is read before roles: a test it decides checks the policy, role or no role
      const withDeny = parse(`version: 1
roles: { fin: { description: Pays. } }
grants: [{ agent_role: fin, tool: pay }]
deny: [{ id: no-rm, tool: rm, reason: rm is destructive. }]
tests:
  - { name: no role, call: { agent: bot, tool: rm }, expect: deny, reason: destructive }
  - { name: unknown role, call: { role: contractr, tool: rm }, expect: deny, reason: destructive }
`);
      for (const o of runPolicyTests(withDeny)) {
        assert.equal(o.passed, true, `${o.test.name}: ${o.failure}`);
        assert.deepEqual(o.warnings, [], o.test.name);
      }
      const widened = POLICY.replace('grants: [{ agent_role: fin, tool: pay }]', 'grants: [{ agent_role: fin, tools: ["*"] }]');
      assert.match(runPolicyTests(parse(widened)).find((x) => x.test.name === 'unknown tools stay denied')!.failure!, /expected deny, got allow/);
    });
  });

  describe('arguments the tool\'s input schema refuses (decided with the servers\' saved manifests)', () => {
    const POLICY = `version: 1
roles: { reader: { description: Reads. } }
grants: [{ agent_role: reader, tool: read_text_file }]
tests:
  - { name: reader cannot read /etc, call: { role: reader, tool: read_text_file, args: { path: /etc/passwd, head: "10" } }, expect: deny }
  - { name: a deliberate schema guard, call: { role: reader, tool: read_text_file, args: { path: /etc/passwd, head: "10" } }, expect: deny, reason: input schema }
  - { name: reader reads, call: { role: reader, tool: read_text_file, args: { path: /etc/passwd, head: 10 } }, expect: allow }
`;
    const tools = { tools: [{ name: 'read_text_file', inputSchema: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, head: { type: 'number' } } } }] };

    it('fails a deny test decided by the schema alone: it passed whatever the policy said (here the policy allows /etc/passwd)', () => {
      const by = new Map(runPolicyTests(parse(POLICY), DEFAULT_TEST_TIME, tools).map((x) => [x.test.name, x]));
      const hollow = by.get('reader cannot read /etc')!;
      assert.equal(hollow.decision.effect, 'deny');
      assert.equal(hollow.passed, false, 'the schema, not the policy, denied it');
      assert.match(hollow.failure!, /^cannot fail: the arguments do not match the input schema of `read_text_file` .*before any rule is read/);
      assert.equal(by.get('a deliberate schema guard')!.passed, true, by.get('a deliberate schema guard')!.failure);
      assert.equal(by.get('reader reads')!.passed, true);
    });
  });

  describe('the decision time', () => {
    const POLICY = `version: 1
roles: { ops_breakglass: { description: Incidents only., emergency: true } }
grants:
  - { id: incident, agent_role: ops_breakglass, tool: restart_service, not_before: 2026-11-20T00:00:00Z, expires: 2026-12-20T00:00:00Z }
  - { agent_role: ops_breakglass, tool: get_status }
tests:
  - { name: closed outside an incident, call: { role: ops_breakglass, tool: restart_service }, expect: deny }
  - { name: open in the incident, call: { role: ops_breakglass, tool: restart_service, at: "2026-11-25T00:00:00Z" }, expect: allow }
  - { name: status is timeless, call: { role: ops_breakglass, tool: get_status }, expect: allow }
`;
    it('reports the instant each test was decided at, and warns when an undated test meets a time-bounded grant', () => {
      const [closed, open, status] = runPolicyTests(parse(POLICY));
      assert.equal(closed!.passed, true);
      assert.equal(closed!.at, DEFAULT_TEST_TIME);
      assert.equal(closed!.defaultTime, true);
      assert.equal(closed!.warnings.length, 1);
      assert.match(closed!.warnings[0]!, /names no `at`, so it is decided at 2026-01-01T00:00:00\.000Z, but grant `incident` \(p\.mandate\.yaml:4:5\) holds only from 2026-11-20T00:00:00Z until 2026-12-20T00:00:00Z: its outcome depends on the date — give its `call` an `at:`/);
      assert.equal(open!.at, Date.parse('2026-11-25T00:00:00Z'));
      assert.equal(open!.defaultTime, false);
      assert.deepEqual(open!.warnings, []);
      assert.deepEqual(status!.warnings, []);
    });
  });
});
