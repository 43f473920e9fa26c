// One hook for the proxy: after each audit record is appended, evaluate the policy's alert rules on it
// and deliver in the background. Delivery never delays or fails the call the record describes.

import type { Writable } from 'node:stream';
import type { AuditRecord, Policy, Sha256 } from '../../../policies';
import { AlertMonitor } from '../../../harness/alerts/rules';
import { deliver, sinksFor, type AlertSink } from './sinks';

export interface AlertHooks {
  /** call with each record the audit log wrote (AuditLog.append's return value) */
  onRecord(this: void, record: AuditRecord): void;
  /** call when the audit log cannot be written (AuditLog's `onFailure`) */
  onWriteFailure(this: void, message: string): void;
  /** wait for deliveries in flight (on shutdown) */
  close(): Promise<void>;
}

/** Alert hooks for a policy, or undefined when it has no `alerts:` section. Throws AlertConfigError on a bad webhook. */
export function alertHooks(policy: Policy, opts: { stderr: Writable; sha256: Sha256; editor?: AlertSink }): AlertHooks | undefined {
  if (policy.alerts === undefined) return undefined;
  const monitor = new AlertMonitor(policy, policy.alerts, opts.sha256);
  const sinks = sinksFor(policy.alerts, opts.stderr, opts.editor);
  let pending: Promise<void> = Promise.resolve();
  return {
    onRecord(record) {
      for (const a of monitor.observe(record)) pending = pending.then(() => deliver(sinks, a));
    },
    onWriteFailure(message) {
      for (const a of monitor.writeFailure(message, new Date().toISOString())) pending = pending.then(() => deliver(sinks, a));
    },
    close: () => pending,
  };
}
