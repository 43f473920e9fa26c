// Audit and failure: every decision is recorded (denials and approvals too) and nothing fails open.

import { knownTools, secretName } from './tools';
import type { LintRule, RuleFinding } from './types';

const ALL = ['allow', 'deny', 'approval', 'error'] as const;

export const auditDisabled: LintRule = {
  id: 'audit/disabled',
  severity: 'error',
  why: 'without an audit log nobody can prove afterwards who called what, or what was refused',
  example: 'audit: { enabled: false }',
  check(ctx) {
    const path = ctx.policy.audit?.path;
    // a device that swallows what is written is a disabled log that looks enabled
    if (typeof path === 'string' && /^(\/dev\/(null|zero|full)|nul)$/i.test(path.trim())) {
      return [{ message: `the audit log \`${path}\` discards every record: decisions would leave no record`, pointer: '/audit/path', range: ctx.source.range('/audit/path'),
        fix: [{ title: 'write the log to a file', op: 'replace', pointer: '/audit/path', value: '.mandate/audit.jsonl' }] }];
    }
    if (ctx.policy.audit?.enabled !== false) return [];
    return [{ message: 'audit is disabled: decisions would leave no record', pointer: '/audit/enabled', range: ctx.source.range('/audit/enabled'),
      fix: [{ title: 'enable the audit log', op: 'replace', pointer: '/audit/enabled', value: true }] }];
  },
};

export const auditMissing: LintRule = {
  id: 'audit/missing',
  severity: 'warning',
  why: 'a policy without an `audit` block relies on whoever starts the proxy to remember `--audit`',
  example: 'version: 1   # no audit block',
  check(ctx) {
    if (ctx.policy.audit !== undefined) return [];
    return [{ message: 'the policy has no `audit` block: decisions are recorded only if the proxy is started with `--audit`', pointer: '', range: ctx.source.keyRange('/version'),
      fix: [{ title: 'add an audit log', op: 'add', pointer: '/audit', value: { path: '.mandate/audit.jsonl' } }] }];
  },
};

export const auditIncomplete: LintRule = {
  id: 'audit/incomplete-record',
  severity: 'error',
  why: 'logging only successes, or skipping denials and approvals, hides exactly the calls an investigation needs',
  example: 'audit: { path: audit.jsonl, record: [allow] }',
  check(ctx) {
    const record = ctx.policy.audit?.record;
    if (record === undefined) return [];
    const missing = ALL.filter((k) => !record.includes(k));
    if (missing.length === 0) return [];
    return [{ message: `audit does not record ${missing.map((m) => `\`${m}\``).join(', ')} decisions: record every decision`, pointer: '/audit/record', range: ctx.source.range('/audit/record'),
      fix: [{ title: 'record every decision', op: 'replace', pointer: '/audit/record', value: [...ALL] }] }];
  },
};

export const failOpen: LintRule = {
  id: 'audit/fail-open',
  severity: 'error',
  why: 'a policy check or audit write that fails must deny the call; failing open turns every outage into full access',
  example: 'failure_mode: open',
  check(ctx) {
    const out: RuleFinding[] = [];
    if (ctx.policy.failure_mode === 'open') {
      out.push({ message: '`failure_mode: open` lets calls through when a check fails: Mandate must fail closed', pointer: '/failure_mode', range: ctx.source.range('/failure_mode'),
        fix: [{ title: 'fail closed', op: 'replace', pointer: '/failure_mode', value: 'closed' }] });
    }
    if (ctx.policy.audit?.on_write_error === 'allow') {
      out.push({ message: '`on_write_error: allow` runs calls that leave no audit record: deny them instead', pointer: '/audit/on_write_error', range: ctx.source.range('/audit/on_write_error'),
        fix: [{ title: 'deny when the audit cannot be written', op: 'replace', pointer: '/audit/on_write_error', value: 'deny' }] });
    }
    return out;
  },
};

export const unredactedSecret: LintRule = {
  id: 'audit/unredacted-secret',
  severity: 'warning',
  why: 'the audit log keeps every call\'s arguments: a password or API key a tool takes is written there in clear unless `audit.redact` names it',
  example: 'audit: { path: audit.jsonl }   # a tool takes `api_key`, and `redact` does not list it',
  check(ctx) {
    const audit = ctx.policy.audit;
    if (audit === undefined || audit.enabled === false) return [];
    const redacted = new Set(audit.redact ?? []);
    const found = new Map<string, string[]>();
    // redaction works by key at any depth: so are arguments read, through nested objects and arrays
    const walk = (schema: unknown, tool: string, depth: number): void => {
      if (schema === null || typeof schema !== 'object' || depth > 8) return;
      const s = schema as { properties?: Record<string, unknown>; items?: unknown };
      for (const [key, sub] of Object.entries(s.properties ?? {})) {
        if (secretName(key) && !redacted.has(key) && !(found.get(key) ?? []).includes(tool)) found.set(key, [...(found.get(key) ?? []), tool]);
        walk(sub, tool, depth + 1);
      }
      walk(s.items, tool, depth + 1);
    };
    for (const [tool, info] of knownTools(ctx)) walk(info.inputSchema, tool, 0);
    const pointer = audit.redact !== undefined ? '/audit/redact' : '/audit';
    return [...found].map(([key, tools]) => ({
      message: `\`${tools.slice(0, 3).join('`, `')}\`${tools.length > 3 ? ` and ${tools.length - 3} more` : ''} take${tools.length === 1 ? 's' : ''} \`${key}\`: its value is written to the audit log in clear — add it to \`audit.redact\``,
      pointer, range: ctx.source.range(pointer),
      fix: [{ title: `redact \`${key}\``, op: audit.redact !== undefined ? 'replace' as const : 'add' as const, pointer: '/audit/redact', value: [...(audit.redact ?? []), key] }],
    }));
  },
};
