// `mandate proxy` over stdio: the client speaks on our stdin/stdout, the server runs as our child.
// Wires the framing, the guard, the audit log, pins, approvals and policy reload together.

import { printable } from '../../policies';
import { shellQuote } from '../../harness/simulate/commands';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { openAlertedLog } from './alerts';
import { ApprovalBroker } from './approvals';
import { openApprovalChannel, runtimeDir, type ApprovalChannel } from './approvalChannel';
import { AuditWriteError, type AuditLog } from './auditLog';
import { FrameReader, LineWriter, type JSONRPCMessage } from './framing';
import { Guard } from './guard';
import { randomHex, sha256 } from './hash';
import type { ProxyOptions } from './options';
import { PinStore, openPinsFile } from './pins';
import { loadPolicyFile, PolicyState, watchPolicy } from './policyState';
import { HttpUsageError, shownUrl, upstreamOf, type UpstreamSpec } from './http/upstreamChoice';
import { RPC } from './types';
import { Restarts, UpstreamProcess, type Upstream, type UpstreamEvents } from './upstream';


export interface StdioIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

/**
 * Node writes to a stdout pipe synchronously, so a slow client stalls the whole proxy inside write(2).
 * Asynchronous writes let the proxy keep deciding while the client drains (a byte pipe does the same).
 */
function nonBlocking(stream: Writable): void {
  const handle = (stream as Writable & { _handle?: { setBlocking?: (b: boolean) => void } })._handle;
  if (stream === process.stdout && !process.stdout.isTTY) handle?.setBlocking?.(false);
}

/** A startup failure: one line for the user, exit 1. */
export class ProxyStartError extends Error {}

/** Run the proxy until the client closes stdin (or a signal); resolves to the exit code. */
export async function runStdioProxy(given: ProxyOptions, io: StdioIo): Promise<number> {
  let opts = given;
  const log = (line: string): void => void io.stderr.write(`${printable(line, false)}\n`); // names a server sent may hold escapes
  const display = opts.policyFile.startsWith(`${opts.cwd}/`) ? opts.policyFile.slice(opts.cwd.length + 1) : opts.policyFile;
  const loaded = loadPolicyFile(opts.policyFile, display);
  if ('errors' in loaded) throw new ProxyStartError(`invalid policy:\n${loaded.errors.join('\n')}`);
  const policy = new PolicyState(loaded.parsed, loaded.version);
  const p = loaded.parsed.policy;
  const roles = opts.roles.length > 0 ? opts.roles : (opts.agent !== undefined ? p.agents?.[opts.agent]?.roles ?? [] : []);
  if (roles.length === 0) throw new ProxyStartError('missing --role (or an --agent the policy binds to roles)');
  // a misspelt --role starts a proxy that denies every call with no word why on the operator's terminal
  const undeclared = roles.filter((r) => !Object.hasOwn(p.roles ?? {}, r));
  if (undeclared.length > 0) {
    const declared = Object.keys(p.roles ?? {});
    log(`mandate proxy: warning: the policy declares no role ${undeclared.map((r) => `\`${r}\``).join(', ')}: an undeclared role is given nothing, so its calls are denied (declared: ${declared.length > 0 ? declared.slice(0, 20).join(', ') : 'none'})`);
  }
  // which policy `servers` entry the server is, as the HTTP proxy reads it: a command's `env` (references resolved,
  // an unset one reported), or a URL's name and credential
  let spec: UpstreamSpec;
  try {
    const environment = opts.context['environment'];
    let context: Record<string, string>;
    ({ spec, context } = await upstreamOf({
      ...(opts.serverNamed || opts.upstreamUrl === undefined ? { server: opts.server } : {}), ...(opts.upstreamUrl !== undefined ? { upstreamUrl: opts.upstreamUrl } : {}),
      command: opts.command, context: opts.context, ...(environment !== undefined ? { environment } : {}), ...(opts.upstreamKey !== undefined ? { upstreamKey: opts.upstreamKey } : {}), upstreamTtlSec: opts.upstreamTtlSec,
    }, p.servers, io.env, io.now, log));
    opts = { ...opts, context };
  } catch (err) {
    if (err instanceof HttpUsageError) throw new ProxyStartError(err.message);
    throw err;
  }
  const http = spec.kind === 'http' ? spec : undefined;
  // the HTTP link (the SDK's client) is loaded only for a server reached by URL: a command's proxy starts without it
  const HttpUpstream = http ? (await import('./http/upstream')).HttpUpstream : undefined;
  opts = { ...opts, server: spec.server };
  // a command's server gets our environment plus its policy entry's `env`
  const serverEnv = spec.kind === 'stdio' && spec.env ? { ...io.env, ...spec.env } : io.env;
  // the policy's audit.path: an absolute one as written, a relative one from the folder the proxy runs in
  const auditFile = opts.auditFile ?? resolve(opts.cwd, p.audit?.path ?? '.mandate/audit.jsonl');
  let audit: AuditLog;
  let alerts: ReturnType<typeof openAlertedLog>['alerts'];
  try {
    ({ audit, alerts } = openAlertedLog(auditFile, p, { fsync: opts.auditFsync, log, now: io.now, stderr: io.stderr, sha256 }));
  } catch (err) {
    throw new ProxyStartError((err as Error).message);
  }
  let stopping = false;
  const session = randomHex(6);
  const principal = opts.agent ?? `local:${io.env['USER'] ?? 'user'}`;
  const pins = new PinStore(openPinsFile(opts.pinsDir, opts.server), opts.server, io.now);
  const approvals = new ApprovalBroker(session, opts.approvalTimeoutMs, io.now);
  let channel: ApprovalChannel | undefined;
  const approvalDir = opts.runtimeDir ?? runtimeDir(io.env);
  // `mandate approve ID` looks in the default folder: a session elsewhere is found only with the same --runtime-dir
  const answerFlags = approvalDir !== runtimeDir(io.env) ? ` --runtime-dir ${shellQuote(approvalDir)}` : undefined;
  try {
    channel = await openApprovalChannel(approvals, { server: opts.server, principal, dir: approvalDir });
  } catch (err) {
    log(`mandate proxy: no approval channel (${(err as Error).message}); approvals can only come from the client`);
  }
  nonBlocking(io.stdout);
  const toClient = new LineWriter((text) => void io.stdout.write(text));
  const out = (msg: JSONRPCMessage): void => toClient.send(msg);
  const guard = new Guard({
    session, server: opts.server, identity: { principal, roles }, context: opts.context, policy, audit, pins, approvals,
    now: io.now, callTimeoutMs: opts.callTimeoutMs, toClient: out, toClientRaw: (line) => toClient.sendRaw(line), toUpstream: (m) => upstream.send(m), log,
    ...(answerFlags !== undefined && channel ? { answerFlags } : {}), ...(opts.noElicitation ? { noElicitation: true } : {}),
    // a checked call goes to a process as the line it was checked as; an HTTP transport serialises the same value itself
    ...(http ? { upstreamWanted: () => reconnectOnDemand() } : { toUpstreamRaw: (line: string) => (upstream as UpstreamProcess).sendRaw(line) }),
  });
  guard.record({ kind: 'session', detail: { event: 'start', ...(http ? { upstream: shownUrl(http.url) } : { command: opts.command }), pid: process.pid, ...(channel ? { approval_socket: channel.info.socket } : {}) }, policy: { file: display, version: policy.version } });
  if (channel) log(`mandate proxy: session ${session}; approval channel ${channel.info.socket}`);
  // A server that crashes is restarted, and one over HTTP connected to again (`Restarts`: how often, and when);
  // calls in flight fail closed, and calls fail closed until the new server has been initialized.
  const events: UpstreamEvents = {
    onMessage: (m, line) => guard.fromUpstream(m, line),
    onExit: (why) => {
      log(`mandate proxy: upstream \`${opts.server}\` ${why}`);
      guard.upstreamClosed(why, stopping);
      if (!stopping) restarts.later();
    },
    onBadFrame: (why) => log(`mandate proxy: upstream sent a bad message (${why})`),
    onNote: (why) => log(`mandate proxy: upstream \`${opts.server}\`: ${why}`),
  };
  const start = (): Upstream => http && HttpUpstream ? new HttpUpstream(http, events, opts.maxMessageBytes) : new UpstreamProcess(opts.command, serverEnv, io.stderr, events, opts.maxMessageBytes);
  const restart = (): void => {
    const next = start();
    upstream = next;
    restarts.begun();
    log(http ? `mandate proxy: upstream \`${opts.server}\` connecting again (${next.label})`
      : `mandate proxy: upstream \`${opts.server}\` ${spawned(next) ? `restarted (${next.label}, ` : 'restarting ('}restart ${restarts.count} of ${opts.maxRestarts} a minute)`);
    // a new server that does not finish initializing in time is killed, which counts as another crash
    const hung = setTimeout(() => next.kill('SIGKILL'), Math.min(opts.callTimeoutMs, 30_000));
    hung.unref();
    guard.resumeUpstream((error) => {
      clearTimeout(hung);
      restarts.settled(error === undefined);
      if (error === undefined) {
        if (http) log(`mandate proxy: upstream \`${opts.server}\` connected again`);
        return;
      }
      // (an HTTP server that could not be reached has been reported by the link already)
      if (!http) log(`mandate proxy: restarted upstream \`${opts.server}\` ${error}`);
      else if (next.running) log(`mandate proxy: upstream \`${opts.server}\` refused to connect again: ${error}`);
      next.kill('SIGKILL');
    });
  };
  const restarts = new Restarts({
    http: http !== undefined, maxRestarts: opts.maxRestarts, run: restart,
    refused: (why) => {
      guard.record({ kind: 'session', detail: { event: 'upstream_not_restarted', why } });
      log(`mandate proxy: upstream \`${opts.server}\` is not restarted (${why}); every call fails closed`);
    },
    unreachable: (tries) => log(`mandate proxy: upstream \`${opts.server}\` unreachable after ${tries} tries; the next call tries again`),
  });
  /** A call found the HTTP server down and no try under way: try now (the call itself has failed closed). */
  const reconnectOnDemand = (): void => {
    if (!stopping) restarts.wanted(upstream.running);
  };
  let upstream = start();
  // (a command that could not be started has no pid: its error follows, and "started (pid ?)" said otherwise)
  if (http || spawned(upstream)) log(`mandate proxy: upstream \`${opts.server}\` ${http ? `at ${upstream.label}` : `started (${upstream.label})`}`);
  const stopWatch = watchPolicy(opts.policyFile, display, policy, (e) => {
    // an agent's roles come from the policy (`--agent` without `--role`): a reload can grant or revoke them
    if (e.ok && opts.roles.length === 0 && opts.agent !== undefined) guard.o.identity.roles = [...(policy.policy.agents?.[opts.agent]?.roles ?? [])];
    // the edited `alerts:` judge records from the reload's own on
    if (e.ok) alerts.reload(policy.policy);
    guard.record({ kind: 'policy', policy: { file: e.file, version: e.version }, detail: e.ok ? { event: 'reloaded', roles: guard.o.identity.roles } : { event: 'reload_refused', errors: e.errors.slice(0, 20) } });
    log(e.ok ? `mandate proxy: policy reloaded (${e.version})` : `mandate proxy: policy edit refused, keeping ${e.version}:\n${e.errors.join('\n')}`);
  });
  const reader = new FrameReader((m) => guard.fromClient(m), (e) => {
    guard.record({ kind: 'error', error: { code: `jsonrpc_${e.kind}`, message: e.message } });
    out({ jsonrpc: '2.0', id: e.id ?? null, error: { code: e.kind === 'parse' ? RPC.parseError : RPC.invalidRequest, message: e.message } } as unknown as JSONRPCMessage);
  }, opts.maxMessageBytes, true);
  io.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
  const ended = new Promise<string>((resolve) => {
    io.stdin.on('end', () => resolve('client closed stdin'));
    io.stdin.on('error', () => resolve('client stdin error'));
    io.stdout.on('error', () => resolve('client stdout closed'));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(`signal ${sig}`));
  });
  const killOnExit = (): void => upstream.kill('SIGKILL');
  process.once('exit', killOnExit);
  const why = await ended;
  stopping = true;
  restarts.stop();
  stopWatch();
  approvals.failAll(`proxy stopping (${why})`);
  toClient.flush();
  await upstream.stop(why.startsWith('signal') ? 200 : 2000);
  guard.record({ kind: 'session', detail: { event: 'stop', why } });
  guard.flush();
  channel?.close();
  audit.close();
  await alerts.close();
  process.removeListener('exit', killOnExit);
  io.stdin.destroy();
  return 0;
}

export { AuditWriteError };

/** Whether a child server got a process (spawning a missing command gives none, and an error event after). */
function spawned(u: Upstream): boolean {
  return !(u instanceof UpstreamProcess) || u.child.pid !== undefined;
}
