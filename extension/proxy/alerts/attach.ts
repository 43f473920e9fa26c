// One hook for the proxy: after each audit record is appended, evaluate the policy's alert rules on it
// and deliver in the background. Delivery never delays or fails the call the record describes. The
// rules follow policy reloads (`followAlerts`).

import type { Writable } from 'node:stream';
import type { AuditRecord, Policy, Sha256 } from '../../../policies';
import { AlertMonitor } from '../../../harness/alerts/rules';
import { AuditLog } from '../auditLog';
import { deliver, sinksFor, type AlertSink } from './sinks';

export interface AlertHooks {
  /** call with each record the audit log wrote (AuditLog.append's return value) */
  onRecord(this: void, record: AuditRecord): void;
  /** call when the audit log cannot be written (AuditLog's `onFailure`) */
  onWriteFailure(this: void, message: string): void;
  /** wait for deliveries in flight (on shutdown) */
  close(): Promise<void>;
  /** the rules' state: hooks made for an edited policy go on from it */
  readonly monitor: AlertMonitor;
}

export interface AlertHookOptions {
  stderr: Writable;
  sha256: Sha256;
  editor?: AlertSink;
}

/**
 * Alert hooks for a policy, or undefined when it has no `alerts:` section. Throws AlertConfigError on a bad webhook.
 * `after`: the hooks of the policy before an edit — the new rules go on from where those stood in the log (the chain
 * head, the windows of rules left as they were), and deliveries keep their order.
 */
export function alertHooks(policy: Policy, opts: AlertHookOptions, after?: AlertHooks): AlertHooks | undefined {
  if (policy.alerts === undefined) return undefined;
  const sinks = sinksFor(policy.alerts, opts.stderr, opts.editor);
  const monitor = new AlertMonitor(policy, policy.alerts, opts.sha256, after?.monitor);
  let pending: Promise<void> = after ? after.close() : Promise.resolve();
  return {
    onRecord(record) {
      for (const a of monitor.observe(record)) pending = pending.then(() => deliver(sinks, a));
    },
    onWriteFailure(message) {
      for (const a of monitor.writeFailure(message, new Date().toISOString())) pending = pending.then(() => deliver(sinks, a));
    },
    close: () => pending,
    monitor,
  };
}

/**
 * A proxy's audit log (one writer: `exclusive`) with its alerting attached (`followAlerts`); a policy whose `alerts:`
 * cannot be used lets go of the log again and throws. Both proxies open their log with this.
 */
export function openAlertedLog(file: string, policy: Policy, o: AlertHookOptions & { fsync: boolean; log: (line: string) => void; now: () => number }):
{ audit: AuditLog; alerts: ReturnType<typeof followAlerts> } {
  const audit = AuditLog.open(file, { exclusive: true, fsync: o.fsync, log: o.log, now: o.now });
  try {
    return { audit, alerts: followAlerts(audit, policy, { stderr: o.stderr, sha256: o.sha256, ...(o.editor ? { editor: o.editor } : {}) }, o.log) };
  } catch (err) {
    audit.close();
    throw err;
  }
}

/**
 * The running proxy's alerting: hooks on its audit log for the policy's `alerts:`, made again on every policy
 * reload (`reload`), so edited thresholds, added or removed rules and a changed webhook apply without a restart.
 * Throws AlertConfigError at start; a reload whose `alerts:` cannot be used keeps the rules in force and says why.
 */
export function followAlerts(audit: AuditLog, policy: Policy, opts: AlertHookOptions, log: (line: string) => void): { reload(policy: Policy): void; close(): Promise<void> } {
  let hooks = alertHooks(policy, opts);
  let earlier: Promise<void> = Promise.resolve();
  const attach = (): void => audit.observe(hooks ? { onRecord: hooks.onRecord, onFailure: hooks.onWriteFailure } : {});
  attach();
  return {
    reload(edited) {
      try {
        const next = alertHooks(edited, opts, hooks);
        // rules removed: what the old hooks were delivering still goes out
        const old = hooks;
        if (next === undefined && old !== undefined) earlier = earlier.then(() => old.close());
        hooks = next;
        attach();
      } catch (err) {
        log(`mandate proxy: alerts: ${(err as Error).message}; the alert rules in force are kept`);
      }
    },
    close: async () => {
      await earlier;
      await hooks?.close();
    },
  };
}
