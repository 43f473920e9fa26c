// Editor alerts: follows the audit logs of the guarded servers the extension offers, evaluates the
// policy's `alerts:` on each new record (the harness's AlertMonitor) and shows them as notifications.

import { inert } from './notificationText';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import * as vscode from 'vscode';
import { AlertMonitor, type Alert } from '../../harness';
import { parsePolicy, validUtf8 } from '../../policies';
import type { GuardedServer } from './mcpProvider';
import type { MandateUi } from './output';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Most bytes read from a log per change (a follower never loads a whole large log at once). */
const MAX_READ = 4 * 1024 * 1024;

interface Follower {
  offset: number;
  /** the bytes of the incomplete last line (lines are split on bytes: a character never straddles two) */
  rest: Buffer;
  monitor: AlertMonitor | undefined;
  stop(): void;
}

/** Follows guarded servers' audit logs; fires `onDidAlert` and notifies for each alert. */
export class AuditAlerts implements vscode.Disposable {
  private readonly followers = new Map<string, Follower>();
  private readonly fired = new vscode.EventEmitter<Alert>();
  readonly onDidAlert = this.fired.event;

  constructor(private readonly ui: MandateUi) {}

  /** Follow the audit log of each server (once per log), from its current end. */
  follow(servers: Iterable<GuardedServer>): void {
    for (const s of servers) {
      if (this.followers.has(s.audit)) continue;
      const monitor = this.monitorFor(s.policy);
      const start = existsSync(s.audit) ? statSync(s.audit).size : 0;
      const f: Follower = { offset: start, rest: Buffer.alloc(0), monitor, stop: () => unwatchFile(s.audit, onChange) };
      const onChange = (): void => this.read(s.audit, f);
      watchFile(s.audit, { interval: 300 }, onChange);
      this.followers.set(s.audit, f);
    }
  }

  dispose(): void {
    for (const f of this.followers.values()) f.stop();
    this.followers.clear();
    this.fired.dispose();
  }

  private monitorFor(policyPath: string): AlertMonitor | undefined {
    try {
      const r = parsePolicy(readFileSync(policyPath, 'utf8'), policyPath);
      const alerts = r.ok ? r.parsed.policy.alerts : undefined;
      // INVARIANT: `alerts.editor: false` keeps alerts out of the editor (stderr and webhook still get them).
      if (!r.ok || alerts === undefined || alerts.editor === false) return undefined;
      return new AlertMonitor(r.parsed.policy, alerts, sha256);
    } catch (err) {
      this.ui.log.warn(`alerts: cannot read \`${policyPath}\`: ${(err as Error).message}`);
      return undefined;
    }
  }

  private read(path: string, f: Follower): void {
    let chunk: Buffer;
    try {
      const size = statSync(path).size;
      if (size < f.offset) { // the log was replaced: start over
        f.offset = 0;
        f.rest = Buffer.alloc(0);
      }
      const len = Math.min(size - f.offset, MAX_READ);
      if (len <= 0) return;
      const buf = Buffer.alloc(len);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, len, f.offset);
      } finally {
        closeSync(fd);
      }
      f.offset += len;
      chunk = Buffer.concat([f.rest, buf]);
    } catch {
      return; // not there yet, or mid-rotation: the next change reads it
    }
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const bytes = chunk.subarray(start, nl);
      start = nl + 1;
      // as the CLI checks it: a hash is of decoded text, so an invalid byte where U+FFFD was must be caught on the bytes
      this.observe(bytes.toString('utf8'), f, validUtf8(bytes));
    }
    f.rest = Buffer.from(chunk.subarray(start));
  }

  private observe(line: string, f: Follower, valid: boolean): void {
    if (line.length === 0) return;
    try {
      const rec = JSON.parse(line) as { kind?: string; tool?: string; decision?: { effect?: string } };
      if (rec.kind === 'decision' && rec.decision?.effect === 'deny') this.ui.noteDenial(rec.tool ?? 'a call');
    } catch {
      // a corrupt line is the monitor's business (it raises an audit_failure alert)
    }
    for (const alert of f.monitor?.observeLine(line, valid) ?? []) {
      this.ui.log.warn(`alert ${alert.kind}: ${alert.message}`);
      this.fired.fire(alert);
      const show = alert.severity === 'critical' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
      void show(inert(`Mandate alert: ${alert.message}`)); // alert messages carry tool names an agent chose
    }
  }
}
