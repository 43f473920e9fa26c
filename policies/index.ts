// The policy core's public API: parse, compile, decide, findings, sources. Pure: no I/O.

export { decodePolicy, firstInvalidUtf8, parsePolicy, schemaFindings, schemaValidator, describe, MAX_POLICY_BYTES, POLICY_READ_LIMIT } from './parse';
export type { ParsedPolicy, ParseResult } from './parse';
export { compile, lookup } from './compile';
export type { CompiledPolicy, CompiledGrant, CompiledDeny, CompiledCheck, CompileOptions } from './compile';
export { decide, MAX_TOOL_NAME } from './decide';
export { ABSENT, EngineError, compileConstraint, compileContextConstraint, jsonEqual, own, selecting, show, MAX_PATTERN_INPUT } from './constraints';
export type { Check } from './constraints';
export { normalizePath, compileBase, isWithin, containment, foldPath } from './paths';
export { globMatch, globsOverlap, isGlob } from './glob';
export { parseDateTime } from './time';
export { SourceMap, buildSourceMap, childPointer, pointerSegment, pointerSegments } from './source';
export { formatFinding, sortFindings } from './findings';
export type { Finding, FixData, Severity } from './findings';
export type {
  AgentDef, AlertRuleDef, AlertsDef, AuditDef, Call, CallSpec, Constraint, ContextConstraint, Decision, DenyRule, Effect, Grant,
  Invariant, InvariantMatch, Json, JsonType, Policy, PolicyTest, PromptGrant, Reason, ReasonCode, ResourceGrant, RoleDef, RuleRef,
  ScopeDef, ServerDef, SourcePos, SourceRange, ToolAnnotations, ToolInfo, ToolManifest,
} from './types';
export { DEFAULT_SERVER_REQUESTS } from './types';
export { ChainChecker, GENESIS, auditGaps, canonicalJson, chainEntry, decodeAuditLog, gapInWords, inPeriod, isChainedRecord, parseAuditLines, recordDecision, recordLine, recordShapeFault, redact, spliceable, spliceRecord, validUtf8, verifyChain } from './audit';
export type { AuditApproval, AuditCaller, AuditEntry, AuditGap, AuditKind, AuditRecord, ChainFault, ChainHead, DecodedLog, LineCheck, RecordAnchor, Sha256, VerifyResult } from './audit';
export { printable } from './printable';
export { resolveEnvRefs } from './envRefs';
export { MAX_LIST_PAGES, MAX_LISTED_TOOLS, ToolPages } from './toolPages';
