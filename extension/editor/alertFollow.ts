// Following guarded servers' audit logs for the editor's alerts: reads each log as it grows and evaluates
// the policy's `alerts:` on every new record (the harness's AlertMonitor). No vscode here (unit-tested as
// plain Node); AuditAlerts (alerts.ts) shows what it finds.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { AlertMonitor, type Alert } from '../../harness';
import { parsePolicy, validUtf8 } from '../../policies';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Most bytes read from a log per change (a follower never loads a whole large log at once). */
const MAX_READ = 4 * 1024 * 1024;

/** Where a follower reports. */
export interface FollowSink {
  alert(a: Alert): void;
  /** a denial seen in a log (the status bar counts them) */
  denial(what: string): void;
  warn(message: string): void;
}

/** A log to follow and the policy whose `alerts:` it is evaluated with. */
export interface FollowedLog {
  audit: string;
  policy: string;
}

interface Follower {
  offset: number;
  /** the bytes of the incomplete last line (lines are split on bytes: a character never straddles two) */
  rest: Buffer;
  monitor: AlertMonitor | undefined;
  stop(): void;
}

/** Follows audit logs (each once), polling them every `intervalMs`. */
export class LogFollowers {
  private readonly followers = new Map<string, Follower>();

  constructor(private readonly sink: FollowSink, private readonly intervalMs = 300) {}

  /** Follow each log (once per log), from its current end. */
  follow(logs: Iterable<FollowedLog>): void {
    for (const s of logs) {
      if (this.followers.has(s.audit)) continue;
      const monitor = this.monitorFor(s.policy);
      const start = existsSync(s.audit) ? statSync(s.audit).size : 0;
      const f: Follower = { offset: start, rest: Buffer.alloc(0), monitor, stop: () => unwatchFile(s.audit, onChange) };
      const onChange = (): void => this.read(s.audit, f);
      watchFile(s.audit, { interval: this.intervalMs }, onChange);
      this.followers.set(s.audit, f);
    }
  }

  dispose(): void {
    for (const f of this.followers.values()) f.stop();
    this.followers.clear();
  }

  private monitorFor(policyPath: string): AlertMonitor | undefined {
    try {
      const r = parsePolicy(readFileSync(policyPath, 'utf8'), policyPath);
      const alerts = r.ok ? r.parsed.policy.alerts : undefined;
      // INVARIANT: `alerts.editor: false` keeps alerts out of the editor (stderr and webhook still get them).
      if (!r.ok || alerts === undefined || alerts.editor === false) return undefined;
      return new AlertMonitor(r.parsed.policy, alerts, sha256);
    } catch (err) {
      this.sink.warn(`alerts: cannot read \`${policyPath}\`: ${(err as Error).message}`);
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
      if (rec.kind === 'decision' && rec.decision?.effect === 'deny') this.sink.denial(rec.tool ?? 'a call');
    } catch {
      // a corrupt line is the monitor's business (it raises an audit_failure alert)
    }
    for (const alert of f.monitor?.observeLine(line, valid) ?? []) this.sink.alert(alert);
  }
}
