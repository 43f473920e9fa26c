// Following guarded servers' audit logs for the editor's alerts: reads each log as it grows and evaluates
// the policy's `alerts:` on every new record (the harness's AlertMonitor), re-built when the policy file is
// edited. No vscode here (unit-tested as plain Node); AuditAlerts (alerts.ts) shows what it finds.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { AlertMonitor, DEFAULT_RULES, type Alert } from '../../harness';
import { parsePolicy, validUtf8, type AlertsDef, type Finding, type Policy } from '../../policies';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Most bytes read from a log per change (a follower never loads a whole large log at once). */
const MAX_READ = 4 * 1024 * 1024;

/** Where a follower reports. */
export interface FollowSink {
  alert(a: Alert): void;
  /** a denial seen in a log (the status bar counts them) */
  denial(what: string): void;
  warn(message: string): void;
  info(message: string): void;
}

/** A log to follow and the policy whose `alerts:` it is evaluated with. */
export interface FollowedLog {
  audit: string;
  policy: string;
}

interface Follower {
  /** the policy file its rules come from */
  policy: string;
  offset: number;
  /** the bytes of the incomplete last line (lines are split on bytes: a character never straddles two) */
  rest: Buffer;
  monitor: AlertMonitor | undefined;
  stop(): void;
}

/** What a policy says about the editor's alerts: its rules, or none (no `alerts:`, or `alerts.editor: false`). */
interface AlertRules {
  policy: Policy;
  alerts: AlertsDef | undefined;
}

/** A policy some followed logs are evaluated with: polled for edits, each read once for all its logs. */
interface WatchedPolicy {
  followers: Set<Follower>;
  /** the last version that parsed (undefined: none yet) */
  last: AlertRules | undefined;
  /** the file does not parse (or cannot be read) since the last good version, and the log said so */
  broken: boolean;
  stop(): void;
}

const firstError = (findings: readonly Finding[]): string => {
  const f = findings.find((x) => x.severity === 'error');
  return f ? ` (line ${f.range.start.line}: ${f.message})` : '';
};

const monitorOf = (r: AlertRules | undefined, after?: AlertMonitor): AlertMonitor | undefined =>
  r?.alerts === undefined ? undefined : new AlertMonitor(r.policy, r.alerts, sha256, after);

/** Follows audit logs (each once), polling them every `intervalMs`. */
export class LogFollowers {
  private readonly followers = new Map<string, Follower>();
  private readonly policies = new Map<string, WatchedPolicy>();

  constructor(private readonly sink: FollowSink, private readonly intervalMs = 300) {}

  /**
   * Follow exactly these logs (each once), a new one from its current end, with its policy's rules as that file is
   * edited; a log followed before and not given now (its server is no longer offered) is let go, and so is a policy no
   * followed log uses any more (each costs a poll).
   */
  follow(logs: Iterable<FollowedLog>): void {
    const wanted = new Map<string, string>();
    for (const s of logs) wanted.set(s.audit, s.policy);
    for (const [audit, f] of this.followers) {
      if (wanted.get(audit) === f.policy) continue;
      f.stop();
      this.followers.delete(audit);
      const p = this.policies.get(f.policy)!;
      p.followers.delete(f);
      if (p.followers.size === 0) {
        p.stop();
        this.policies.delete(f.policy);
      }
    }
    for (const [audit, policy] of wanted) {
      if (this.followers.has(audit)) continue;
      const s = { audit, policy };
      const p = this.policies.get(s.policy) ?? this.watchPolicy(s.policy);
      const start = existsSync(s.audit) ? statSync(s.audit).size : 0;
      const f: Follower = { policy: s.policy, offset: start, rest: Buffer.alloc(0), monitor: monitorOf(p.last), stop: () => unwatchFile(s.audit, onChange) };
      const onChange = (): void => this.read(s.audit, f);
      watchFile(s.audit, { interval: this.intervalMs }, onChange);
      this.followers.set(s.audit, f);
      p.followers.add(f);
    }
  }

  dispose(): void {
    for (const f of this.followers.values()) f.stop();
    for (const p of this.policies.values()) p.stop();
    this.followers.clear();
    this.policies.clear();
  }

  /** Read a policy now and watch it: each edit is read once (never per record) and re-builds its logs' monitors. */
  private watchPolicy(path: string): WatchedPolicy {
    const p: WatchedPolicy = { followers: new Set(), last: undefined, broken: false, stop: () => unwatchFile(path, onChange) };
    const onChange = (curr: Stats, prev: Stats): void => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) this.reload(path, p, true);
    };
    this.reload(path, p, false);
    watchFile(path, { interval: this.intervalMs }, onChange);
    this.policies.set(path, p);
    return p;
  }

  /**
   * Read the policy again. One that parses re-builds the monitor of each of its logs, which goes on from where it
   * stood (the log's offset is the follower's: records already seen are not evaluated again). One that does not
   * keeps the last good rules, and says so once until an edit parses again.
   */
  private reload(path: string, p: WatchedPolicy, edited: boolean): void {
    let r: AlertRules | { error: string };
    try {
      const parsed = parsePolicy(readFileSync(path, 'utf8'), path);
      // INVARIANT: `alerts.editor: false` keeps alerts out of the editor (stderr and webhook still get them).
      r = parsed.ok ? { policy: parsed.parsed.policy, alerts: parsed.parsed.policy.alerts?.editor === false ? undefined : parsed.parsed.policy.alerts }
        : { error: `does not parse${firstError(parsed.findings)}` };
    } catch (err) {
      r = { error: `cannot be read: ${(err as Error).message}` };
    }
    if ('error' in r) {
      if (!p.broken) this.sink.warn(`alerts: \`${path}\` ${r.error}; ${p.last ? 'keeping the alert rules of its last good version' : 'no alerts from it until it parses'}`);
      p.broken = true;
      return;
    }
    p.broken = false;
    p.last = r;
    for (const f of p.followers) f.monitor = monitorOf(r, f.monitor);
    if (edited) {
      const what = r.alerts === undefined ? (r.policy.alerts ? 'alerts are off in the editor (`alerts.editor: false`)' : 'no `alerts:`') : `${(r.alerts.rules ?? DEFAULT_RULES).length} alert rule(s)`;
      this.sink.info(`alerts: \`${path}\` edited: ${what}`);
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
