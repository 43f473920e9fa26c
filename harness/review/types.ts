// The access review's result: per grant usage, unused grants, roles that hold more than they use,
// and approvals that always go one way. Plain data, printed as text or JSON by `mandate audit review`.

/** How one grant was used in the review period. */
export interface GrantUsage {
  /** the grant's id, or `grants[i]` */
  grant: string;
  pointer: string;
  /** `file:line:col` of the grant */
  where: string;
  role: string;
  tools: string[];
  requiresApproval: boolean;
  /** decisions in the period that this grant allowed (or sent to approval) */
  calls: number;
  /** calls per principal (token subject / agent id), most first */
  by: Array<{ principal: string; calls: number }>;
  /** calls per MCP client (`name/version` from initialize: which model or agent) */
  clients: Array<{ client: string; calls: number }>;
  /** calls per concrete tool name */
  perTool: Array<{ tool: string; calls: number }>;
  firstUsed?: string;
  lastUsed?: string;
}

/** A role whose used tools are a strict subset of the tools its grants hold. */
export interface RoleNarrowing {
  role: string;
  /** tool names and globs the role's grants hold */
  held: string[];
  /** concrete tools the role actually called under its grants */
  used: string[];
  /** held entries never exercised (names, or globs with no matching call) */
  unused: string[];
  /** the grants the proposal replaces, by id, with their source position */
  replaces: Array<{ grant: string; where: string }>;
  /** the narrowed grant list, as YAML to paste over the replaced grants */
  proposal: string;
}

export type ApprovalVerdict = 'always_granted' | 'always_refused';

/** Approvals for one grant (or tool) that were always granted or always refused. */
export interface ApprovalPattern {
  verdict: ApprovalVerdict;
  /** the grant that asked for approval, when the log names it */
  grant?: string;
  tool: string;
  role?: string;
  granted: number;
  refused: number;
  /** refusals include timeouts and errors: every outcome that was not a grant */
  timeout: number;
}

/** A review finding, in the linter's vocabulary (stable rule id, one-line message). */
export interface ReviewFinding {
  rule: 'review/unused-grant' | 'review/narrow-role' | 'review/approval-always-granted' | 'review/approval-always-refused' | 'review/unknown-rule';
  severity: 'warning' | 'info';
  message: string;
  /** `file:line:col` when the finding is about a place in the policy */
  where?: string;
}

export interface ReviewResult {
  period: { since: string | null; until: string | null };
  /** records read in the period, and decision records among them */
  records: number;
  decisions: number;
  /** policy versions (SHA-256) named by the period's records */
  policyVersions: string[];
  grants: GrantUsage[];
  /** grants never used in the period: candidates for removal */
  unused: GrantUsage[];
  narrowing: RoleNarrowing[];
  approvals: ApprovalPattern[];
  findings: ReviewFinding[];
}
