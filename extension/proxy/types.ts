// The guard's contract with its transports: who is calling, and how messages leave the guard.

import type { ApprovalBroker } from './approvals';
import type { AuditLog } from './auditLog';
import type { JSONRPCMessage, RpcId } from './framing';
import type { PinStore } from './pins';
import type { SessionPolicy } from './policyState';

/** The authenticated caller of a session (stdio: the local user's chosen agent; HTTP: the token subject). */
export interface Identity {
  principal: string;
  roles: string[];
  /** the MCP client's name and version from `initialize`, filled in by the guard when absent */
  client?: { name: string; version?: string };
}

/** Everything a guard session needs; transports build one per client session. */
export interface GuardOptions {
  session: string;
  server: string;
  identity: Identity;
  /** context values decisions see (environment, region, tenant…) */
  context: Readonly<Record<string, unknown>>;
  policy: SessionPolicy;
  audit: AuditLog;
  pins?: PinStore;
  approvals: ApprovalBroker;
  now: () => number;
  /** a forwarded request with no answer after this long fails closed (upstream hang) */
  callTimeoutMs: number;
  /**
   * Send to the client; `related`: the client request this message belongs to (a transport with a stream per
   * request, Streamable HTTP, sends it there: the client may have no other stream open)
   */
  toClient: (msg: JSONRPCMessage, related?: string | number) => void;
  /** optional: pass an upstream line through unchanged (saves re-serialising results) */
  toClientRaw?: (line: string) => void;
  toUpstream: (msg: JSONRPCMessage) => void;
  /** optional: send a line that is already the serialised message (a checked call, serialised once) */
  toUpstreamRaw?: (line: string) => void;
  /** one line for the operator (stderr) */
  log: (line: string) => void;
  /**
   * optional: never ask a human through the client (MCP elicitation), only on the approval channel (the editor,
   * `mandate approve`): for an agent whose own client could answer its approvals (`--no-elicitation`)
   */
  noElicitation?: boolean;
  /** optional: flags the printed `mandate approve|refuse ID` command needs to find this session (`--runtime-dir DIR`) */
  answerFlags?: string;
  /** optional: a request found the upstream down (a transport that reconnects on demand starts trying) */
  upstreamWanted?: () => void;
  /**
   * optional: why the credential that made call `id` no longer holds (its token expired or was revoked since), or
   * undefined while it does — asked again when a human approves the call, long after the request. Never rejects.
   */
  callAuthority?: (id: RpcId) => Promise<string | undefined>;
}

/** JSON-RPC error codes the guard answers with. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** denied by policy (resources/read, prompts/get, server requests) */
  denied: -32001,
  /** the upstream server crashed, exited or did not answer in time */
  upstream: -32002,
  /** the audit record could not be written */
  audit: -32003,
} as const;
