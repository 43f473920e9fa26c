// The approval channel's wire contract (proxy ↔ editor extension, proxy ↔ `mandate approve`):
// the one file both sides read. Newline-delimited JSON over a local Unix socket, each line ≤ 64 KiB.
//
// Discovery: a running proxy writes `<runtime dir>/<session>.json` (mode 0600; the folder is 0700)
// holding a SessionInfo; the runtime dir is $MANDATE_RUNTIME_DIR, else `<os tmpdir>/mandate-<uid>`.
// An approval id is `<session>-<n>`, so `mandate approve ID` finds its session from the id.
// Conversation: connect; send `hello` with the session's secret first (else the proxy closes the
// socket); the proxy answers `welcome` and then `pending` (everything waiting now), pushes `asked`
// and `settled` as they happen, and answers each `answer` with `answered`.

import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Where a session's channel is, and its secret (never logged). */
export interface SessionInfo {
  session: string;
  socket: string;
  secret: string;
  pid: number;
  server: string;
  principal: string;
  started: string;
}

/** One call waiting for a human: bound to caller, server, tool, argument digest and policy version. */
export interface ApprovalRequest {
  id: string;
  session: string;
  server: string;
  tool: string;
  principal: string;
  roles: string[];
  client?: { name: string; version?: string };
  /** arguments, redacted per policy */
  args: unknown;
  args_digest: string;
  policy_version: string;
  /** the grant(s) that require approval, in policy words */
  reasons: string[];
  asked_at: string;
  expires_at: string;
}

export type ClientMessage =
  | { type: 'hello'; secret: string; who?: string }
  | { type: 'list' }
  | { type: 'answer'; id: string; verdict: 'approve' | 'refuse'; by?: string };

export type ProxyMessage =
  | { type: 'welcome'; session: string; server: string; principal: string }
  | { type: 'pending'; approvals: ApprovalRequest[] }
  | { type: 'asked'; approval: ApprovalRequest }
  | { type: 'settled'; id: string; state: 'granted' | 'refused' | 'timeout' | 'error' }
  | { type: 'answered'; id: string; ok: boolean; message: string }
  | { type: 'error'; message: string };

/** Longest line either side sends. */
export const MAX_LINE = 64 * 1024;

const str = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Runtime guard for messages the proxy receives. */
export function isClientMessage(v: unknown): v is ClientMessage {
  if (!obj(v)) return false;
  switch (v['type']) {
    case 'hello': return str(v['secret'], 200) && (v['who'] === undefined || str(v['who'], 200));
    case 'list': return true;
    case 'answer': return str(v['id'], 100) && (v['verdict'] === 'approve' || v['verdict'] === 'refuse') && (v['by'] === undefined || str(v['by'], 200));
    default: return false;
  }
}

function isApprovalRequest(v: unknown): v is ApprovalRequest {
  return obj(v) && str(v['id'], 100) && str(v['session'], 100) && typeof v['server'] === 'string' && str(v['tool'], 300)
    && typeof v['principal'] === 'string' && Array.isArray(v['roles']) && typeof v['args_digest'] === 'string'
    && typeof v['policy_version'] === 'string' && Array.isArray(v['reasons']) && typeof v['asked_at'] === 'string' && typeof v['expires_at'] === 'string';
}

/** Runtime guard for messages a channel client (editor, CLI) receives. */
export function isProxyMessage(v: unknown): v is ProxyMessage {
  if (!obj(v)) return false;
  switch (v['type']) {
    case 'welcome': return str(v['session'], 100) && typeof v['server'] === 'string' && typeof v['principal'] === 'string';
    case 'pending': return Array.isArray(v['approvals']) && v['approvals'].every(isApprovalRequest);
    case 'asked': return isApprovalRequest(v['approval']);
    case 'settled': return str(v['id'], 100) && ['granted', 'refused', 'timeout', 'error'].includes(v['state'] as string);
    case 'answered': return str(v['id'], 100) && typeof v['ok'] === 'boolean' && typeof v['message'] === 'string';
    case 'error': return typeof v['message'] === 'string';
    default: return false;
  }
}

/** Runtime guard for a session file's content. */
export function isSessionInfo(v: unknown): v is SessionInfo {
  return obj(v) && str(v['session'], 100) && str(v['socket'], 200) && str(v['secret'], 200) && typeof v['pid'] === 'number'
    && typeof v['server'] === 'string' && typeof v['principal'] === 'string' && typeof v['started'] === 'string';
}

/** Whether process `pid` exists (on this host): another user's counts, as it cannot be signalled but is there. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The session an approval id belongs to (`<session>-<n>`), or undefined for a malformed id. */
export function sessionOfApproval(id: string): string | undefined {
  const m = /^([a-f0-9]{8,32})-\d{1,9}$/.exec(id);
  return m ? m[1] : undefined;
}

/**
 * Why a runtime folder (or a session file in it) cannot be trusted, or undefined when it can: it must be a
 * real folder (file), not a symbolic link, owned by this user and, with `mode`, writable by no one else.
 * INVARIANT: both sides check before trusting what is there — in a shared /tmp another user could have
 * made `mandate-<uid>` first and planted a session file whose socket collects the secret and the answers.
 */
export function untrustedPath(path: string, kind: 'dir' | 'file', mode = true): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(resolve(path)); // `link/` would follow the link: resolve() drops the trailing separator
  } catch (err) {
    return `cannot read \`${path}\`: ${(err as Error).message}`;
  }
  if (st.isSymbolicLink()) return `\`${path}\` is a symbolic link`;
  if (kind === 'dir' ? !st.isDirectory() : !st.isFile()) return `\`${path}\` is not a ${kind === 'dir' ? 'folder' : 'file'}`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `\`${path}\` belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if (mode && (st.mode & 0o022) !== 0) return `\`${path}\` can be written by other users`;
  return kind === 'dir' ? untrustedAncestor(path, uid) : undefined;
}

/**
 * Whether someone else could swap the folder out from above: every folder on its real path must belong to
 * root or this user and be writable by no one else, unless sticky (as /tmp is: others cannot rename what is ours).
 */
function untrustedAncestor(path: string, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined; // no owners to compare (Windows): nothing more to check
  let dir: string;
  try {
    dir = dirname(realpathSync(resolve(path)));
  } catch (err) {
    return `cannot resolve \`${path}\`: ${(err as Error).message}`;
  }
  for (;;) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (err) {
      return `cannot read \`${dir}\`: ${(err as Error).message}`;
    }
    if (st.uid !== 0 && st.uid !== uid) return `\`${dir}\`, above \`${path}\`, belongs to uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `\`${dir}\`, above \`${path}\`, can be written by other users`;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
