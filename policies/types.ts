// The policy language's data model (v1) and the engine's call/decision contract.
// Everything here is plain data: what the schema admits, what decide() reads and returns.

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/**
 * An argument or context constraint. Every operator present must hold (conjunction).
 * An absent argument satisfies no constraint, `not` included.
 */
export interface Constraint {
  equals?: Json;
  in?: Json[];
  not_in?: Json[];
  min?: number;
  max?: number;
  pattern?: string;
  prefix?: string;
  within?: string[];
  max_length?: number;
  type?: JsonType;
  not?: Constraint;
}

/** Context constraints: a constraint object, or a bare list meaning `in`. */
export type ContextConstraint = Constraint | Json[];

export interface RoleDef {
  description?: string;
  read_only?: boolean;
  /** break-glass / emergency roles must carry time-bounded grants (linted) */
  emergency?: boolean;
}

export interface ScopeDef {
  description?: string;
  args?: Record<string, Constraint>;
  context?: Record<string, ContextConstraint>;
}

export type Effect = 'allow' | 'deny' | 'approval_required';

export interface Grant {
  id?: string;
  description?: string;
  agent_role: string;
  tool?: string;
  tools?: string[];
  scope?: string[] | string;
  requires_approval?: boolean;
  context?: Record<string, ContextConstraint>;
  /** ISO date-time, exclusive */
  expires?: string;
  /** ISO date-time, inclusive */
  not_before?: string;
  /** `# mandate-ignore` style suppressions live here: rule id → stated reason */
  lint_ignore?: Record<string, string>;
}

export interface DenyRule {
  id?: string;
  reason: string;
  tool?: string;
  tools?: string[];
  roles?: string[];
  agent_role?: string;
  scope?: string[] | string;
  args?: Record<string, Constraint>;
  context?: Record<string, ContextConstraint>;
  lint_ignore?: Record<string, string>;
}

export interface AgentDef {
  description?: string;
  roles: string[];
}

export interface ServerDef {
  description?: string;
  command?: string[];
  url?: string;
  environment?: string;
  credential?: string;
  /** a saved `tools/list` result for this server, relative to the policy file */
  tools_manifest?: string;
  env?: Record<string, string>;
  lint_ignore?: Record<string, string>;
}

export interface AuditDef {
  enabled?: boolean;
  path?: string;
  redact?: string[];
  /** which decisions are recorded; the default (and the only safe value) is all of them */
  record?: Array<'allow' | 'deny' | 'approval' | 'error'>;
  /** what happens when a record cannot be written; `deny` (default) is the only safe value */
  on_write_error?: 'deny' | 'allow';
  lint_ignore?: Record<string, string>;
}

/** Linter settings in a policy file. */
export interface LintSettings {
  /** how far ahead an emergency or debug grant may expire, in days (default 30) */
  expiry_horizon_days?: number;
  /** rule id → stated reason: silence a rule for the whole file */
  ignore?: Record<string, string>;
}

/** One alert rule (`alerts.rules`): what raises an alert on the audit record stream. */
export interface AlertRuleDef {
  id?: string;
  on: 'denial_burst' | 'approval_refused' | 'tool_drift' | 'audit_failure' | 'break_glass' | 'policy_refused';
  /** denial_burst: this many denials (default 5) … */
  count?: number;
  /** … within this many seconds (default 60) */
  within_seconds?: number;
}

/** Alerting: rules, and where alerts go (stderr, a loopback webhook, the editor). */
export interface AlertsDef {
  /** default when absent: every kind, denial bursts at 5 within 60 s */
  rules?: AlertRuleDef[];
  /** write alerts to stderr (default true) */
  stderr?: boolean;
  /** POST each alert as JSON to this loopback http URL */
  webhook?: string;
  /** notify the editor through the proxy's control channel, when it has one (default true) */
  editor?: boolean;
}

export interface CallSpec {
  role?: string;
  roles?: string[];
  agent?: string;
  tool: string;
  args?: Json;
  context?: Record<string, Json>;
  /** ISO date-time the call is decided at */
  at?: string;
}

export interface PolicyTest {
  name: string;
  call: CallSpec;
  expect: Effect;
  /** a substring that must appear in one of the decision's reasons */
  reason?: string;
}

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface InvariantMatch {
  role?: string | string[];
  tool?: string | string[];
  tool_annotations?: ToolAnnotations;
  args?: Record<string, Constraint>;
  context?: Record<string, ContextConstraint>;
  effect?: Effect | Effect[];
}

export interface Invariant {
  name: string;
  never?: InvariantMatch;
  always?: InvariantMatch;
}

/** A grant to read resources: URIs matched exactly or by `*` glob. */
export interface ResourceGrant {
  agent_role: string;
  uris: string[];
  description?: string;
}

/** A grant to get prompts: names matched exactly or by `*` glob. */
export interface PromptGrant {
  agent_role: string;
  prompts: string[];
  description?: string;
}

export interface Policy {
  version: 1;
  name?: string;
  description?: string;
  roles?: Record<string, RoleDef>;
  scopes?: Record<string, ScopeDef>;
  grants?: Grant[];
  deny?: DenyRule[];
  agents?: Record<string, AgentDef>;
  servers?: Record<string, ServerDef>;
  audit?: AuditDef;
  failure_mode?: 'closed' | 'open';
  tests?: PolicyTest[];
  invariants?: Invariant[];
  lint?: LintSettings;
  alerts?: AlertsDef;
  /** grants to read MCP resources; a read no grant names is denied */
  resources?: ResourceGrant[];
  /** grants to get MCP prompts; a prompt no grant names is denied */
  prompts?: PromptGrant[];
  /** requests the server may send the client (default: ping, roots/list, elicitation/create) */
  server_requests?: { allow?: string[] };
  /** extension points owned by later features (alerts, resources, lint settings) */
  [extension: string]: unknown;
}

/** Requests a server may send to the client when the policy's `server_requests.allow` is absent. */
export const DEFAULT_SERVER_REQUESTS: readonly string[] = ['ping', 'roots/list', 'elicitation/create'];

/** A tool as `tools/list` describes it; a manifest is `{ tools: ToolInfo[] }`. */
export interface ToolInfo {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
}

export interface ToolManifest {
  tools: ToolInfo[];
}

/** One tool call as the engine sees it. */
export interface Call {
  /** authenticated identity (token subject, agent id); empty or null means anonymous → deny */
  principal: string | null;
  roles: readonly string[];
  tool: string;
  /** the parsed `arguments` object; undefined means `{}` */
  args?: unknown;
  context?: Readonly<Record<string, unknown>>;
  /** decision time, ms since epoch (the injected clock) */
  now: number;
}

/** A position in a policy file: 1-based line and column. */
export interface SourcePos {
  line: number;
  col: number;
}

export interface SourceRange {
  file: string;
  start: SourcePos;
  end: SourcePos;
}

/** A rule that took part in a decision. */
export interface RuleRef {
  kind: 'grant' | 'deny' | 'scope' | 'builtin';
  /** the rule's `id`, or its position such as `grants[0]` / `deny[2]` when it has none; `pointer` is the JSON pointer */
  id: string;
  pointer: string;
  source?: SourceRange;
}

export type ReasonCode =
  | 'anonymous'
  | 'denied_by_rule'
  | 'allowed_by_grant'
  | 'approval_required'
  | 'no_grant'
  | 'role_unknown'
  | 'not_yet_valid'
  | 'expired'
  | 'context_failed'
  | 'constraint_failed'
  | 'malformed_arguments'
  | 'engine_error';

export interface Reason {
  code: ReasonCode;
  message: string;
  rule?: RuleRef;
}

export interface Decision {
  effect: Effect;
  /** the rules that decided: the deny rule, or the matching grants */
  rules: RuleRef[];
  reasons: Reason[];
}
