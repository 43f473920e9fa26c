// `mandate proxy --listen …`: the HTTP face of the proxy, called by the proxy command when
// `--listen` is given. Loads the policy, opens the audit log, verifies tokens, runs until a signal.

import { printable } from '../../../policies';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { fileKeySource, keySourceFor, readJwksFile, TokenVerifier } from '../auth';
import { openAlertedLog } from '../alerts';
import { runtimeDir } from '../approvalChannel';
import { AuditWriteError, type AuditLog } from '../auditLog';
import { sha256 } from '../hash';
import { PinStore, openPinsFile } from '../pins';
import { loadPolicyFile, PolicyState, watchPolicy } from '../policyState';
import { HttpUsageError, parseHttpArgs } from './config';
import { HttpProxy } from './listener';
import { isLoopback } from './request';
import { shownUrl, upstreamOf } from './upstream';

export interface HttpCliIo {
  stderr: Writable;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

/** Run the HTTP proxy until SIGINT/SIGTERM/SIGHUP; resolves to the exit code. Prints its own errors. */
export async function runHttpProxy(argv: readonly string[], io: HttpCliIo): Promise<number> {
  const log = (line: string): void => void io.stderr.write(`${printable(line, false)}\n`); // names a server sent may hold escapes
  let started: { proxy: HttpProxy; audit: AuditLog; stopWatch: () => void };
  try {
    started = await start(argv, io, log);
  } catch (err) {
    if (!(err instanceof HttpUsageError) && !(err as { code?: unknown }).code) throw err;
    log(`mandate proxy: ${(err as Error).message}`);
    return 1;
  }
  const why = await new Promise<string>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(`signal ${sig}`));
  });
  started.stopWatch();
  await started.proxy.close();
  try {
    started.audit.append({ kind: 'session', time: new Date(io.now()).toISOString(), detail: { event: 'stop', why } });
  } catch { /* the log is already failing; nothing more to record */ }
  started.audit.close();
  return 0;
}

async function start(argv: readonly string[], io: HttpCliIo, log: (l: string) => void): Promise<{ proxy: HttpProxy; audit: AuditLog; stopWatch: () => void }> {
  const cfg = parseHttpArgs(argv, io.cwd);
  const display = cfg.policyFile.startsWith(`${io.cwd}/`) ? cfg.policyFile.slice(io.cwd.length + 1) : cfg.policyFile;
  const loaded = loadPolicyFile(cfg.policyFile, display);
  if ('errors' in loaded) throw new HttpUsageError(`invalid policy:\n${loaded.errors.join('\n')}`);
  const policy = new PolicyState(loaded.parsed, loaded.version);
  const p = loaded.parsed.policy;
  const { spec, context } = await upstreamOf(cfg, p.servers, io.env, io.now, log);
  if (spec.kind === 'http' && spec.auth.kind === 'none') log(`mandate proxy: no credential for upstream \`${spec.server}\` (set the server's credential or --upstream-key)`);
  const keys = cfg.jwks.startsWith('http') ? keySourceFor(cfg.jwks) : fileKeySource(cfg.jwks);
  if (!cfg.jwks.startsWith('http')) readJwksFile(cfg.jwks); // refuse to start on a missing or broken key set
  if (cfg.revocations === undefined) log('mandate proxy: no revocation list (--revocations); tokens can only expire');
  else if (cfg.revocationsOptional) log(`mandate proxy: no revocation list yet at \`${cfg.revocations}\`; one created there (mandate token revoke) applies from then on`);
  const { audit, alerts } = openAlertedLog(cfg.auditFile ?? resolve(io.cwd, p.audit?.path ?? '.mandate/audit.jsonl'), p, { fsync: cfg.auditFsync, log, now: io.now, stderr: io.stderr, sha256 });
  if (!isLoopback(cfg.host) && !cfg.tls?.clientCa) throw new HttpUsageError(`refusing to listen on non-loopback \`${cfg.host}\` without TLS client certificates (--tls-client-ca)`);
  const proxy = new HttpProxy({
    host: cfg.host, port: cfg.port, allowedOrigins: cfg.allowedOrigins, allowedHosts: cfg.allowedHosts, maxSessions: cfg.maxSessions, maxSessionsPerSubject: cfg.maxSessionsPerSubject,
    ...(cfg.tls ? { tls: cfg.tls } : {}),
    verifier: (resource) => new TokenVerifier({
      keys, issuer: cfg.issuer, audience: cfg.audience ?? resource.href, algorithms: cfg.algorithms, maxLifetimeSec: cfg.maxLifetimeSec,
      clockSkewSec: cfg.clockSkewSec, rolesClaim: cfg.rolesClaim, now: io.now, ...(cfg.revocations !== undefined ? { revocations: cfg.revocations } : {}), ...(cfg.revocationsOptional ? { revocationsOptional: true } : {}),
    }),
    deps: {
      policy, audit, pins: new PinStore(openPinsFile(cfg.pinsDir, spec.server), spec.server, io.now), upstream: spec, context, now: io.now,
      callTimeoutMs: cfg.callTimeoutMs, approvalTimeoutMs: cfg.approvalTimeoutMs, maxRestarts: cfg.maxRestarts, idleMs: 30 * 60_000, maxBodyBytes: cfg.maxBodyBytes, log, stderr: io.stderr,
      runtimeDir: cfg.runtimeDir ?? runtimeDir(io.env), noElicitation: cfg.noElicitation,
    },
  });
  const url = await proxy.listen();
  audit.append({ kind: 'session', time: new Date(io.now()).toISOString(), server: spec.server, policy: { file: display, version: policy.version }, detail: { event: 'listen', resource: url.href, upstream: spec.kind === 'http' ? shownUrl(spec.url) : spec.command } });
  const stopWatch = watchPolicy(cfg.policyFile, display, policy, (e) => {
    if (e.ok) alerts.reload(policy.policy); // the edited `alerts:` judge records from the reload's own on
    try {
      audit.append({ kind: 'policy', time: new Date(io.now()).toISOString(), policy: { file: e.file, version: e.version }, detail: e.ok ? { event: 'reloaded' } : { event: 'reload_refused', errors: e.errors.slice(0, 20) } });
    } catch (err) {
      if (!(err instanceof AuditWriteError)) throw err;
      // INVARIANT: the proxy keeps running when its log cannot be written (a full disk): the calls fail closed, the
      // record is counted in the gap the log tells of once it can be written again (a throw here would end every session)
      log(`mandate proxy: ${(err as Error).message}`);
    }
    log(e.ok ? `mandate proxy: policy reloaded (${e.version})` : `mandate proxy: policy edit refused, keeping ${e.version}`);
  });
  log(`mandate proxy: listening on ${url.href} (upstream \`${spec.server}\`; resource metadata ${url.origin}/.well-known/oauth-protected-resource${url.pathname})`);
  return { proxy, audit, stopWatch };
}
