// Lint false negatives found by reading policies as an attacker would: each case is a policy that does not mean
// what it says (or has a mistake the seed article names) and the finding lint now gives it, with near misses that
// must stay quiet.

import assert from 'node:assert/strict';
import type { ToolManifest } from '../../../../policies';
import { RULES, lintText } from '../../../../policies/lint';

const NOW = Date.parse('2026-11-25T12:00:00Z');

const findings = (text: string, rule: string, tools?: ToolManifest): string[] =>
  lintText(text, 'p.mandate.yaml', { now: NOW, ...(tools ? { tools } : {}) }).filter((f) => f.rule === rule).map((f) => `${f.range.start.line}:${f.range.start.col} ${f.message}`);

describe('lint false negatives', () => {
  describe('least-privilege/read-only-writes: globs read without a manifest', () => {
    const reader = (tools: string): string => `version: 1
roles: { reader: { description: reads, read_only: true } }
grants:
  - { agent_role: reader, tools: ${tools} }
audit: { path: a.jsonl }
`;
    it('a glob whose words change nothing still matches write tools (`*_file` grants delete_file)', () => {
      const found = findings(reader('["*_file", "docs_*"]'), 'least-privilege/read-only-writes');
      assert.equal(found.length, 2, found.join('\n'));
      assert.match(found[0]!, /^4:35 .*`\*_file` can match `delete_file`/);
      assert.match(found[1]!, /^4:45 .*`docs_\*` can match `docs_delete`/);
    });

    it('a glob that starts with a reading verb reads as read-only; `*` alone is over-broad/all-tools', () => {
      assert.deepEqual(findings(reader('["read_*", "get*", "list_*_entries", "searchDocs*", "*"]'), 'least-privilege/read-only-writes'), []);
    });

    it('with a manifest, the glob is expanded instead: only the tools it matches count', () => {
      const tools: ToolManifest = { tools: [
        { name: 'read_file', annotations: { readOnlyHint: true } },
        { name: 'stat_file', annotations: { readOnlyHint: true } },
      ] };
      assert.deepEqual(findings(reader('["*_file"]'), 'least-privilege/read-only-writes', tools), []);
      const more: ToolManifest = { tools: [...tools.tools, { name: 'shred_file', annotations: { destructiveHint: true } }] };
      assert.match(findings(reader('["*_file"]'), 'least-privilege/read-only-writes', more)[0] ?? '', /`\*_file` matches `shred_file`/);
    });

    it('a role that is not read-only may hold any glob (over-broad and approval rules judge it)', () => {
      assert.deepEqual(findings(reader('["*_file"]').replace(', read_only: true', ''), 'least-privilege/read-only-writes'), []);
    });
  });

  describe('time/emergency-without-expiry: emergency roles named in camelCase or described as such', () => {
    const policy = (role: string, description: string, grantExtra = ''): string => `version: 1
roles: { ${role}: { description: "${description}" } }
grants:
  - { agent_role: ${role}, tool: restart_service${grantExtra} }
audit: { path: a.jsonl }
`;
    it('a break-glass role named in camelCase or PascalCase must expire', () => {
      for (const role of ['breakGlassOps', 'DebugAdmin', 'emergencyAccess', 'BREAKGLASS']) {
        assert.match(findings(policy(role, 'ops'), 'time/emergency-without-expiry')[0] ?? '', new RegExp(`^4:19 .*role \`${role}\` is named for emergency`), role);
      }
    });

    it('a role whose description says break-glass must expire, and expire within the horizon', () => {
      assert.match(findings(policy('oncall_elevated', 'Break-glass access for incidents only.'), 'time/emergency-without-expiry')[0] ?? '',
        /^4:19 .*role `oncall_elevated`'s description says it is emergency access/);
      assert.equal(findings(policy('oncall_elevated', 'Break-glass access for incidents only.', ', expires: 2027-06-01T00:00:00Z'), 'time/expiry-beyond-horizon').length, 1);
      assert.deepEqual(findings(policy('oncall_elevated', 'Break-glass access for incidents only.', ', expires: 2026-12-01T00:00:00Z'), 'time/expiry-beyond-horizon'), []);
    });

    it('near misses: words that merely contain an emergency word, descriptions that do not say it', () => {
      for (const [role, description] of [['templateWriter', 'Writes templates.'], ['ops_operator', 'Restarts services in its tenant.'], ['attemptRunner', 'Retries jobs.'],
        ['cleaner', 'Reads temp files.'], ['triage', 'Triages incident tickets.'], ['logs_reader', 'Reads debug logs.']] as const) {
        assert.deepEqual(findings(policy(role, description), 'time/emergency-without-expiry'), [], role);
      }
    });
  });

  describe('constraint/type-mismatch: operators the declared argument type never satisfies', () => {
    const stringAmount: ToolManifest = { tools: [{ name: 'issue_payment', inputSchema: { type: 'object', properties: { amount: { type: 'string' }, vendor: { type: 'string' } } } }] };
    const numberAmount: ToolManifest = { tools: [{ name: 'issue_payment', inputSchema: { type: 'object', properties: { amount: { type: 'number' }, vendor: { type: 'string' } } } }] };
    const policy = `version: 1
roles: { payer: { description: pays } }
grants: [{ agent_role: payer, tool: issue_payment, requires_approval: true, scope: [vendors] }]
scopes: { vendors: { args: { vendor: { in: [acme] } } } }
deny:
  - { id: cap, tool: issue_payment, args: { amount: { min: 1000.01 } }, reason: no payment above 1000 }
audit: { path: a.jsonl }
`;
    it('a deny rule capping an amount the tool takes as a string never fires (the engine lets "50000" through)', () => {
      assert.match(findings(policy, 'constraint/type-mismatch', stringAmount)[0] ?? '', /^6:55 .*`amount` .* is `string` .*`min` holds for numbers only: deny rule `cap` never fires/);
    });

    it('near misses: a numeric amount, and no manifest (nothing is known about the type)', () => {
      assert.deepEqual(findings(policy, 'constraint/type-mismatch', numberAmount), []);
      assert.deepEqual(findings(policy, 'constraint/type-mismatch'), []);
    });

    it('the rule\'s own example fires', () => {
      const example = RULES.find((r) => r.id === 'constraint/type-mismatch')!.example!;
      const text = `version: 1\nroles: { payer: { description: pays } }\n${example}\ngrants: [{ agent_role: payer, tool: issue_payment, scope: cap, requires_approval: true }]\naudit: { path: a.jsonl }\n`;
      assert.equal(findings(text, 'constraint/type-mismatch', stringAmount).length, 1);
    });
  });

  describe('env/shared-credential: a secret passed through the server\'s env', () => {
    const servers = (dev: string, prod: string): string => `version: 1
servers:
  gh-dev: { command: [node, gh.js], environment: dev, env: { ${dev} } }
  gh-prod: { command: [node, gh.js], environment: prod, env: { ${prod} } }
audit: { path: a.jsonl }
`;
    it('one token variable handed to a dev and a prod server is one credential in two environments', () => {
      const found = findings(servers('GITHUB_PERSONAL_ACCESS_TOKEN: "${GITHUB_TOKEN}"', 'GITHUB_PERSONAL_ACCESS_TOKEN: $GITHUB_TOKEN'), 'env/shared-credential');
      assert.equal(found.length, 2, found.join('\n'));
      assert.match(found[0]!, /^3:\d+ credential `env:GITHUB_TOKEN` of server `gh-dev` \(dev\) is also used by `gh-prod` \(prod\)/);
    });

    it('the same variable through `credential` on one server and `env` on another', () => {
      const text = servers('API_KEY: "${PAY_KEY}"', 'LOG_LEVEL: info').replace('gh-prod: { command', 'gh-prod: { credential: "env:PAY_KEY", command');
      assert.equal(findings(text, 'env/shared-credential').length, 2);
    });

    it('near misses: a variable per environment, and shared settings that are no secret', () => {
      assert.deepEqual(findings(servers('GITHUB_TOKEN: "${GITHUB_TOKEN_DEV}", LOG_LEVEL: "${LOG_LEVEL}"', 'GITHUB_TOKEN: "${GITHUB_TOKEN_PROD}", LOG_LEVEL: "${LOG_LEVEL}"'), 'env/shared-credential'), []);
    });
  });

  describe('audit/disabled: a log that discards what is written', () => {
    it('reports an audit path that is a device swallowing every record; a file stays quiet', () => {
      for (const path of ['/dev/null', '/dev/zero', 'NUL']) {
        const found = findings(`version: 1\naudit: { path: ${path} }\n`, 'audit/disabled');
        assert.equal(found.length, 1, path);
        assert.match(found[0]!, /^2:16 the audit log `.*` discards every record/);
      }
      assert.deepEqual(findings('version: 1\naudit: { path: logs/null.jsonl }\n', 'audit/disabled'), []);
    });
  });

  describe('time/expiry-beyond-horizon: measured from when the window opens', () => {
    const policy = (window: string): string => `version: 1
roles: { oncall: { description: On call., emergency: true } }
grants:
  - { agent_role: oncall, tool: restart_service, ${window} }
audit: { path: a.jsonl }
`;
    it('a two-week window scheduled next year is two weeks; one opening then and lasting 60 days is not', () => {
      assert.deepEqual(findings(policy('not_before: 2027-06-01T00:00:00Z, expires: 2027-06-15T00:00:00Z'), 'time/expiry-beyond-horizon'), []);
      const long = findings(policy('not_before: 2027-06-01T00:00:00Z, expires: 2027-07-31T00:00:00Z'), 'time/expiry-beyond-horizon');
      assert.equal(long.length, 1);
      assert.match(long[0]!, /more than 30 days after it opens \(`2027-06-01T00:00:00Z`\)/);
      assert.equal(findings(policy('expires: 2027-06-15T00:00:00Z'), 'time/expiry-beyond-horizon').length, 1, 'no not_before: from now');
    });
  });

  describe('constraints that admit nothing, in an invariant\'s selector (it then selects no call and proves nothing)', () => {
    const policy = (sel: string): string => `version: 1
roles: { payer: { description: pays } }
grants: [{ agent_role: payer, tool: issue_payment, requires_approval: true }]
audit: { path: a.jsonl }
invariants:
  - { name: i, never: { tool: issue_payment, effect: allow, ${sel} } }
`;
    it('reports an undecidable pattern, a min above max, an empty in and a contradiction as it does in a scope', () => {
      assert.match(findings(policy('args: { vendor: { pattern: "^(?i:evil)" } }'), 'constraint/invalid-pattern')[0] ?? '', /^6:88 `vendor` pattern cannot be decided/);
      assert.match(findings(policy('args: { vendor: { not: { pattern: "^(?=a)" } } }'), 'constraint/invalid-pattern')[0] ?? '', /^6:95 `vendor` pattern cannot be decided/);
      assert.match(findings(policy('args: { amount: { min: 10, max: 5 } }'), 'constraint/min-above-max')[0] ?? '', /^6:84 `amount` has min 10 above max 5/);
      assert.match(findings(policy('args: { vendor: { in: [] } }'), 'constraint/empty-in')[0] ?? '', /^6:83 `vendor` must be in an empty list/);
      assert.match(findings(policy('context: { env: [] }'), 'constraint/empty-in')[0] ?? '', /^6:77 context `env` allows an empty list/);
      assert.match(findings(policy('args: { c: { equals: EUR, in: [USD] } }'), 'constraint/contradiction')[0] ?? '', /^6:87 `c` can never be satisfied/);
    });

    it('stays quiet on a selector that admits values, and on `not` around a list that admits none', () => {
      const quiet = policy('args: { vendor: { pattern: "^[Ee]vil" }, amount: { min: 5, max: 10 }, c: { not: { in: [] } } }');
      for (const rule of ['constraint/invalid-pattern', 'constraint/min-above-max', 'constraint/empty-in', 'constraint/contradiction']) assert.deepEqual(findings(quiet, rule), [], rule);
    });
  });

  describe('false positives found by review', () => {
    it('env: MAX_TOKENS, TOKENIZER, TOKEN_LIMIT, API_KEY_HEADER are settings, not secrets; GITHUB_PAT and SSH_PRIVATE_KEY are', () => {
      const two = (env: string): string => `version: 1
servers:
  gh-dev: { command: [gh-mcp], environment: dev, env: { ${env} } }
  gh-prod: { command: [gh-mcp], environment: prod, env: { ${env} } }
audit: { path: a.jsonl }
`;
      assert.deepEqual(findings(two('MAX_TOKENS: "${MAX_TOKENS}", TOKENIZER: "${TOKENIZER}", TOKEN_LIMIT: "${TOKEN_LIMIT}", API_KEY_HEADER: "${API_KEY_HEADER}"'), 'env/shared-credential'), []);
      assert.equal(findings(two('GITHUB_PAT: "${GITHUB_PAT}", SSH_PRIVATE_KEY: "${SSH_PRIVATE_KEY}"'), 'env/shared-credential').length, 4);
      assert.deepEqual(findings('version: 1\nservers: { a: { command: [x], env: { OPENAI_MAX_TOKENS: "4096" } } }\naudit: { path: a.jsonl }\n', 'env/inline-credential'), []);
    });

    it('read-only: server-prefixed reading globs (github_get_*, mcp__fs__read_*) read as read-only', () => {
      const text = `version: 1
roles: { reader: { description: reads, read_only: true } }
grants:
  - { agent_role: reader, tools: ["github_get_*", "github_list_*", "github_search_*", "mcp__filesystem__read_*"] }
audit: { path: a.jsonl }
`;
      assert.deepEqual(findings(text, 'least-privilege/read-only-writes'), []);
    });

    it('approval/bypassed: an empty context or scope is no condition; an expired free grant bypasses nothing', () => {
      const policy = (free: string): string => `version: 1
roles: { deployer: { description: d }, helper: { description: h } }
scopes: { nothing: {} }
grants:
  - { agent_role: deployer, tool: deploy_service, requires_approval: true }
  - { agent_role: helper, tools: ["deploy_*"], ${free} }
agents: { bot: { roles: [deployer, helper] } }
audit: { path: a.jsonl }
`;
      assert.equal(findings(policy('context: {}'), 'approval/bypassed').length, 1);
      assert.equal(findings(policy('scope: [nothing]'), 'approval/bypassed').length, 1);
      assert.deepEqual(findings(policy('expires: 2020-01-01T00:00:00Z'), 'approval/bypassed'), []);
    });

    it('audit/unredacted-secret reads nested arguments; a grant described as "reads incident tickets" is no emergency access', () => {
      const tools: ToolManifest = { tools: [{ name: 'call', inputSchema: { type: 'object', properties: { auth: { type: 'object', properties: { password: { type: 'string' } } }, headers: { type: 'array', items: { type: 'object', properties: { authorization: { type: 'string' } } } } } } }] };
      const found = findings('version: 1\nroles: { r: { description: r } }\ngrants: [{ agent_role: r, tool: call }]\naudit: { path: a.jsonl }\n', 'audit/unredacted-secret', tools);
      assert.equal(found.length, 2, found.join('\n'));
      const described = `version: 1
roles: { triage: { description: t } }
grants: [{ agent_role: triage, tool: read_ticket, description: Reads incident tickets. }]
audit: { path: a.jsonl }
`;
      assert.deepEqual(findings(described, 'time/emergency-without-expiry'), []);
    });
  });
});
