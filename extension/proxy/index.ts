// The proxy's public API: the transport-agnostic guard and what it needs, for the stdio and HTTP transports.

export { Guard } from './guard';
export type { GuardOptions, Identity } from './types';
export { RPC } from './types';
export { AuditLog, AuditWriteError } from './auditLog';
export type { AuditLogOptions } from './auditLog';
export { ApprovalBroker } from './approvals';
export type { ApprovalOutcome, ApprovalState, ApprovalVia } from './approvals';
export { openApprovalChannel, answerApproval, runtimeDir, readSession } from './approvalChannel';
export type { ApprovalChannel } from './approvalChannel';
export { FrameReader, frame, MAX_MESSAGE_BYTES } from './framing';
export type { FrameError, JSONRPCMessage, RpcId } from './framing';
export { CONFLICT, MIN_DIGEST_PREFIX, SHORT_DIGEST, PinStore, acceptPins, describeChange, openPinsFile, pinsPath, readPins } from './pins';
export type { Pin, PinFile, Drift } from './pins';
export { PolicyState, loadPolicyFile, watchPolicy } from './policyState';
export type { PolicyEvent } from './policyState';
export { parseProxyArgs, defaultServerName, PROXY_USAGE, ProxyUsageError } from './options';
export type { ProxyOptions } from './options';
export { runStdioProxy, ProxyStartError } from './stdio';
export { sha256, randomHex } from './hash';
export { toolVisible, decideResource, decidePrompt, serverRequestAllowed, DEFAULT_SERVER_REQUESTS } from './governance';
