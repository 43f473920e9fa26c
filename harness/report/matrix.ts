// Who may do what: the role × tool matrix of a compiled policy, with each cell's grants, constraints,
// approval and time bounds, and the deny rules that override them.

import { globMatch, isGlob, type CompiledPolicy, type Constraint, type ContextConstraint, type Policy } from '../../policies';

export type CellEffect = 'allow' | 'approval' | 'conditional_deny' | 'deny' | 'none';

export interface MatrixCell {
  effect: CellEffect;
  /** grant ids that give this role this tool */
  grants: string[];
  /** one line per condition: scopes, argument constraints, context, time bounds */
  conditions: string[];
  /** deny rules naming this role and tool, with their reasons */
  denies: string[];
}

export interface Matrix {
  roles: Array<{ name: string; emergency: boolean; readOnly: boolean; description?: string }>;
  tools: string[];
  /** cells[role][tool] */
  cells: Record<string, Record<string, MatrixCell>>;
}

/** Build the matrix; `seenTools` (from the audit logs) add columns for tools the policy names only by glob. */
export function buildMatrix(compiled: CompiledPolicy, seenTools: readonly string[] = []): Matrix {
  const policy = compiled.policy;
  const named = new Set<string>();
  for (const g of compiled.grants) g.tools.forEach((t) => named.add(t));
  for (const d of compiled.denies) d.tools.forEach((t) => named.add(t));
  seenTools.forEach((t) => named.add(t));
  const tools = [...named].sort((a, b) => Number(isGlob(a)) - Number(isGlob(b)) || a.localeCompare(b));
  const roles = Object.entries(policy.roles ?? {}).map(([name, def]) => ({
    name, emergency: def.emergency === true, readOnly: def.read_only === true, ...(def.description ? { description: def.description } : {}),
  })).sort((a, b) => a.name.localeCompare(b.name));
  const cells: Matrix['cells'] = {};
  for (const r of roles) {
    const row: Record<string, MatrixCell> = {};
    for (const t of tools) row[t] = cellFor(compiled, r.name, t);
    cells[r.name] = row;
  }
  return { roles, tools, cells };
}

/** A column matches a rule's tool entry when they are equal, or the column is a name the entry's glob matches. */
function covers(entry: string, column: string): boolean {
  return entry === column || (!isGlob(column) && globMatch(entry, column));
}

function cellFor(compiled: CompiledPolicy, role: string, tool: string): MatrixCell {
  const policy = compiled.policy;
  const grants = compiled.grants.filter((g) => g.role === role && compiled.declaredRoles.has(role) && g.tools.some((e) => covers(e, tool)));
  const denies = compiled.denies.filter((d) => (!d.roles || d.roles.has(role)) && d.tools.some((e) => covers(e, tool)));
  const unconditional = denies.some((d) => d.args.length === 0 && d.context.length === 0 && d.missingScopes.length === 0);
  const conditions: string[] = [];
  for (const g of grants) {
    const src = policy.grants?.[Number(g.ref.pointer.split('/')[2])];
    if (src) conditions.push(...grantConditions(policy, src));
  }
  const effect: CellEffect = unconditional ? 'deny'
    : grants.length === 0 ? 'none'
      : denies.length > 0 ? 'conditional_deny'
        : grants.some((g) => !g.approval) ? 'allow' : 'approval';
  return { effect, grants: grants.map((g) => g.ref.id), conditions: [...new Set(conditions)], denies: denies.map((d) => `${d.ref.id}: ${d.reason}`) };
}

function grantConditions(policy: Policy, g: NonNullable<Policy['grants']>[number]): string[] {
  const out: string[] = [];
  const scopes = g.scope === undefined ? [] : Array.isArray(g.scope) ? g.scope : [g.scope];
  for (const s of scopes) {
    const def = policy.scopes?.[s];
    const parts = [...Object.entries(def?.args ?? {}).map(([k, c]) => describeConstraint(k, c)),
      ...Object.entries(def?.context ?? {}).map(([k, c]) => describeContext(k, c))];
    out.push(`scope ${s}${parts.length ? `: ${parts.join(', ')}` : def ? '' : ' (undefined)'}`);
  }
  for (const [k, c] of Object.entries(g.context ?? {})) out.push(`context ${describeContext(k, c)}`);
  if (g.requires_approval) out.push('requires approval');
  if (g.not_before) out.push(`from ${g.not_before}`);
  if (g.expires) out.push(`until ${g.expires}`);
  return out;
}

const OPS: Record<string, string> = { equals: '=', in: 'in', not_in: 'not in', min: '≥', max: '≤', pattern: 'matches', prefix: 'starts with', within: 'within', max_length: 'length ≤', type: 'is' };

/** `amount ≤ 1000, amount ≥ 0.01` for one argument's constraint. */
export function describeConstraint(key: string, c: Constraint): string {
  return Object.entries(c).map(([op, v]) => (op === 'not' ? `not (${describeConstraint(key, v as Constraint)})` : `${key} ${OPS[op] ?? op} ${JSON.stringify(v)}`)).join(', ');
}

function describeContext(key: string, c: ContextConstraint): string {
  return Array.isArray(c) ? `${key} in ${JSON.stringify(c)}` : describeConstraint(key, c);
}
