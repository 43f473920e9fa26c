// The policy a session decides with: parsed from a file, compiled against the server's tool list,
// reloaded when the file changes (an invalid edit keeps the last good policy and is reported).

import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { compile, decodePolicy, formatFinding, parsePolicy, POLICY_READ_LIMIT, type CompiledPolicy, type ParsedPolicy, type ToolInfo } from '../../policies';
import { sha256 } from './hash';
import { readFailure, readFileBounded } from './readBounded';

/** A policy load or reload: what happened, for the audit log and stderr. */
export type PolicyEvent =
  | { ok: true; file: string; version: string }
  | { ok: false; file: string; version: string; errors: string[] };

/**
 * Load a policy file; returns the parsed policy or the formatted errors. `reload`: read again while serving, so
 * a regular file only (readFileBounded's `regularOnly`).
 */
export function loadPolicyFile(file: string, display = file, reload = false): { parsed: ParsedPolicy; version: string } | { errors: string[]; version?: string } {
  let bytes: Buffer;
  try {
    bytes = readFileBounded(file, POLICY_READ_LIMIT, { regularOnly: reload });
  } catch (err) {
    return { errors: [`cannot read policy \`${display}\`: ${readFailure(err)}`] };
  }
  const decoded = decodePolicy(bytes, display);
  if (!decoded.ok) return { errors: decoded.findings.map(formatFinding), version: sha256(bytes.toString('latin1')).slice(0, 16) };
  const text = decoded.text;
  const version = sha256(text).slice(0, 16);
  const r = parsePolicy(text, display);
  // a refused text keeps its version too: the watcher reports one refused edit once, however often it is seen
  if (!r.ok) return { errors: r.findings.map(formatFinding), version };
  return { parsed: r.parsed, version };
}

/** What a session decides with: the shared policy, compiled against the tool list its own server sent. */
export interface SessionPolicy {
  readonly version: string;
  readonly file: string;
  readonly policy: ParsedPolicy['policy'];
  /** the policy compiled with this session's tool schemas */
  readonly current: CompiledPolicy;
  /** this session's server sent a (complete) tool list */
  setTools(tools: readonly ToolInfo[]): void;
}

/** The current policy, compiled lazily per tool list. */
export class PolicyState implements SessionPolicy {
  private compiled: CompiledPolicy | undefined;
  private tools: readonly ToolInfo[] | undefined;

  constructor(private parsed: ParsedPolicy, private ver: string) {}

  get version(): string {
    return this.ver;
  }

  get file(): string {
    return this.parsed.file;
  }

  get policy(): ParsedPolicy['policy'] {
    return this.parsed.policy;
  }

  /** The compiled policy; tool input schemas (when known) make malformed arguments a deny. */
  get current(): CompiledPolicy {
    this.compiled ??= compile(this.parsed, this.tools ? { tools: { tools: [...this.tools] } } : {});
    return this.compiled;
  }

  /** The server's tool list changed: recompile on next use. */
  setTools(tools: readonly ToolInfo[]): void {
    this.tools = tools;
    this.compiled = undefined;
  }

  /** Swap in a new policy (already parsed and valid). */
  replace(parsed: ParsedPolicy, version: string): void {
    this.parsed = parsed;
    this.ver = version;
    this.compiled = undefined;
  }

  /** The parsed policy in force (its identity changes with every reload). */
  get parsedPolicy(): ParsedPolicy {
    return this.parsed;
  }

  /**
   * A view for one session of several (HTTP): it follows this state's reloads but compiles against its own
   * server's tool list. INVARIANT: one session's tools/list never sets another's schemas.
   */
  view(): SessionPolicy {
    return new PolicyView(this);
  }
}

class PolicyView implements SessionPolicy {
  private tools: readonly ToolInfo[] | undefined;
  private compiled: { from: ParsedPolicy; tools: readonly ToolInfo[] | undefined; policy: CompiledPolicy } | undefined;

  constructor(private readonly state: PolicyState) {}

  get version(): string {
    return this.state.version;
  }

  get file(): string {
    return this.state.file;
  }

  get policy(): ParsedPolicy['policy'] {
    return this.state.policy;
  }

  get current(): CompiledPolicy {
    if (this.tools === undefined) return this.state.current; // no list of its own yet: the shared compile
    const from = this.state.parsedPolicy;
    if (this.compiled?.from !== from || this.compiled.tools !== this.tools) {
      this.compiled = { from, tools: this.tools, policy: compile(from, this.tools ? { tools: { tools: [...this.tools] } } : {}) };
    }
    return this.compiled.policy;
  }

  setTools(tools: readonly ToolInfo[]): void {
    this.tools = tools;
  }
}

/**
 * Watch the policy file (its folder, so editors that replace the file are seen; and the file's own stat,
 * polled each second, which follows symlinks — an edited link target or a swapped `..data` link as in a
 * Kubernetes ConfigMap) and reload after `debounceMs` of quiet. Returns a function that stops watching.
 */
export function watchPolicy(file: string, display: string, state: PolicyState, onEvent: (e: PolicyEvent) => void, debounceMs = 100): () => void {
  let timer: NodeJS.Timeout | undefined;
  /**
   * the text last refused (its version), or why the file could not be read, so that the directory watch and the
   * stat poll seeing one edit (or one removal) report it once
   */
  let refused: string | undefined;
  const reload = (): void => {
    timer = undefined;
    const r = loadPolicyFile(file, display, true);
    if ('errors' in r) {
      const seen = r.version ?? `unreadable: ${r.errors.join('\n')}`;
      if (seen === refused) return;
      refused = seen;
      onEvent({ ok: false, file: display, version: state.version, errors: r.errors });
      return;
    }
    refused = undefined; // a good text read since: the same bad edit made again is news
    if (r.version !== state.version) {
      state.replace(r.parsed, r.version);
      onEvent({ ok: true, file: display, version: r.version });
    }
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  };
  const polled = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) schedule();
  };
  watchFile(file, { persistent: false, interval: 1000 }, polled);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      schedule();
    });
    watcher.on('error', () => undefined);
  } catch {
    // the stat poll still sees changes
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
    unwatchFile(file, polled);
  };
}
