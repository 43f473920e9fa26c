// Alert rules evaluated on the audit record stream: denial bursts, approval refusals, tool drift, audit
// failures (a write error, or a chain that stops verifying), any use of a break-glass role, and a policy edit
// the running proxy refused (it goes on enforcing the last good version).

import { ChainChecker, type AlertRuleDef, type AlertsDef, type AuditRecord, type Policy, type Sha256 } from '../../policies';

export type AlertKind = AlertRuleDef['on'];

export interface Alert {
  /** the rule's id, or its kind */
  rule: string;
  kind: AlertKind;
  severity: 'warning' | 'critical';
  /** one line, lowercase, user values in backticks */
  message: string;
  /** time of the record that raised it */
  time: string;
  /** sequence numbers of the records behind it */
  seq: number[];
  tool?: string;
  role?: string;
  principal?: string;
}

/** The rules used when `alerts:` names none: every kind, denial bursts at 5 within 60 s. */
export const DEFAULT_RULES: readonly AlertRuleDef[] = [
  { on: 'denial_burst', count: 5, within_seconds: 60 },
  { on: 'approval_refused' }, { on: 'tool_drift' }, { on: 'audit_failure' }, { on: 'break_glass' }, { on: 'policy_refused' },
];

/** Evaluates alert rules over records in log order. Holds only a bounded window of recent denials. */
export class AlertMonitor {
  private readonly rules: readonly AlertRuleDef[];
  private readonly emergency: ReadonlySet<string>;
  private readonly denials = new Map<AlertRuleDef, AuditRecord[]>();
  /** not anchored until the first record: a follower may start mid-log */
  private readonly chain: ChainChecker;
  private chainBroken = false;

  /**
   * @param after the monitor this one replaces on the same log (the policy was edited): the chain goes on from where
   * it stood (a record missing just after the edit is still caught, a break already reported is not reported again),
   * and a rule left as it was keeps its window of recent denials. Without it, the first line seen anchors the chain.
   */
  constructor(policy: Policy, config: AlertsDef | undefined, sha256: Sha256, after?: AlertMonitor) {
    this.chain = new ChainChecker(sha256, after?.chain.head ?? null);
    this.chainBroken = after?.chainBroken ?? false;
    this.rules = config === undefined ? [] : config.rules ?? DEFAULT_RULES;
    this.emergency = new Set(Object.entries(policy.roles ?? {}).filter(([, r]) => r.emergency === true).map(([n]) => n));
    for (const rule of after === undefined ? [] : this.rules) {
      const same = after!.rules.find((r) => JSON.stringify(r) === JSON.stringify(rule));
      const window = same && after!.denials.get(same);
      if (window) this.denials.set(rule, [...window]);
    }
  }

  /**
   * Observe one raw log line: check it continues the chain, then evaluate the rules on it.
   * The first line seen anchors the chain (a follower may start mid-log).
   */
  observeLine(line: string, validUtf8 = true): Alert[] {
    const expected = this.chain.head;
    const c = this.chain.check(line, validUtf8);
    if (c.ok) return this.observe(c.record);
    const { fault, record } = c;
    if (!record) {
      const what = fault.code === 'utf8' ? 'not valid UTF-8 (edited or corrupted)' : fault.code === 'json' ? 'not a JSON record (edited or corrupted)' : 'not an audit record';
      return this.chainAlert(`audit log line is ${what}`, new Date().toISOString(), []);
    }
    const why = fault.code === 'genesis' ? 'audit chain broken: the first record does not start from the genesis hash'
      : `audit chain broken at seq ${record.seq}: ${fault.code === 'seq' ? `expected seq ${expected!.seq} (records deleted, reordered or inserted)` : 'it does not hold the hash of the record before it (that record was edited, or this one inserted or moved)'}`;
    // later lines are checked against this one (the break is reported once)
    this.chain.anchorAt(record, line);
    return [...this.chainAlert(why, record.time, [record.seq]), ...this.observe(record)];
  }

  /**
   * The audit log could not be written (`message` says why): an `audit_failure` alert, raised at once — the record
   * that tells of the failure is written only once the log can be written again.
   */
  writeFailure(message: string, time: string): Alert[] {
    const rule = this.rules.find((x) => x.on === 'audit_failure');
    return rule ? [{ rule: rule.id ?? rule.on, kind: 'audit_failure', severity: 'critical', message: `audit failure: ${message}`, time, seq: [] }] : [];
  }

  /** Evaluate the rules on one parsed record. */
  observe(r: AuditRecord): Alert[] {
    const out: Alert[] = [];
    for (const rule of this.rules) {
      const a = this.evaluate(rule, r);
      if (a) out.push(a);
    }
    return out;
  }

  private evaluate(rule: AlertRuleDef, r: AuditRecord): Alert | undefined {
    const who = { ...(r.tool !== undefined ? { tool: r.tool } : {}), ...(r.caller?.roles[0] !== undefined ? { role: r.caller.roles[0] } : {}), ...(r.caller?.principal ? { principal: r.caller.principal } : {}) };
    const base = { rule: rule.id ?? rule.on, kind: rule.on, time: r.time, seq: [r.seq], ...who };
    switch (rule.on) {
      case 'denial_burst': return this.burst(rule, r, base);
      case 'approval_refused':
        if (r.kind !== 'approval' || !r.approval || !['refused', 'timeout', 'error'].includes(r.approval.state)) return undefined;
        return { ...base, severity: 'warning', message: `approval ${r.approval.state} for \`${r.tool ?? '?'}\`${r.approval.by ? ` by \`${r.approval.by}\`` : ''}${who.principal ? ` (caller \`${who.principal}\`)` : ''}` };
      case 'tool_drift':
        if (r.kind !== 'drift') return undefined;
        return { ...base, severity: 'critical', message: `tool definition changed under the proxy: \`${r.tool ?? '?'}\`${r.server ? ` on server \`${r.server}\`` : ''}; calls to it fail closed until approved` };
      case 'audit_failure':
        if (!(r.kind === 'error' && r.error && /audit/.test(r.error.code))) return undefined;
        return { ...base, severity: 'critical', message: `audit failure: ${r.error.message}` };
      case 'break_glass': {
        const role = r.caller?.roles.find((x) => this.emergency.has(x));
        if (r.kind !== 'decision' || !role || !r.decision || r.decision.effect === 'deny') return undefined;
        return { ...base, role, severity: 'critical', message: `break-glass role \`${role}\` used: \`${r.tool ?? '?'}\` ${r.decision.effect} for \`${who.principal ?? 'anonymous'}\`` };
      }
      case 'policy_refused': {
        // the proxy keeps the last good policy: an edit meant to revoke a grant has not taken effect
        const detail = r.detail as { event?: unknown; errors?: unknown } | undefined;
        if (r.kind !== 'policy' || detail?.event !== 'reload_refused') return undefined;
        const first = Array.isArray(detail.errors) && typeof detail.errors[0] === 'string' ? `: ${detail.errors[0]}` : '';
        return { ...base, severity: 'critical', message: `policy edit refused: \`${r.policy?.file ?? '?'}\` is still enforced as version ${r.policy?.version ?? '?'}; the edit has not taken effect${first}` };
      }
      default: return undefined;
    }
  }

  private burst(rule: AlertRuleDef, r: AuditRecord, base: Omit<Alert, 'severity' | 'message'>): Alert | undefined {
    if (r.kind !== 'decision' || r.decision?.effect !== 'deny') return undefined;
    const count = rule.count ?? 5;
    const windowMs = (rule.within_seconds ?? 60) * 1000;
    const t = Date.parse(r.time);
    const recent = (this.denials.get(rule) ?? []).filter((x) => t - Date.parse(x.time) < windowMs);
    recent.push(r);
    // INVARIANT: the window holds fewer than `count` records, so memory stays bounded whatever the traffic.
    if (recent.length < count) {
      this.denials.set(rule, recent);
      return undefined;
    }
    this.denials.set(rule, []);
    const tools = [...new Set(recent.map((x) => x.tool ?? '?'))];
    return { ...base, seq: recent.map((x) => x.seq), severity: 'warning', message: `${recent.length} denials within ${windowMs / 1000}s (tools ${tools.map((x) => `\`${x}\``).join(', ')})` };
  }

  private chainAlert(message: string, time: string, seq: number[]): Alert[] {
    const rule = this.rules.find((x) => x.on === 'audit_failure');
    if (!rule || this.chainBroken) return [];
    // one alert per break: later lines re-anchor on what is there
    this.chainBroken = true;
    return [{ rule: rule.id ?? rule.on, kind: 'audit_failure', severity: 'critical', message, time, seq }];
  }
}
