// The parts of a policy that are not decided per tool call: agents' role bindings, resource and prompt
// grants, the requests a server may send the client, and the audit and failure settings. Each is a set
// of names or `*` globs (or a setting with a safe value); a name the old set does not already cover
// gives more access, and is a widening, as is an unsafe setting or a key no longer redacted.

import { DEFAULT_SERVER_REQUESTS, globMatch, type Policy } from '../../policies';

/** One change outside tool calls. */
export interface SettingChange {
  section: 'agents' | 'resources' | 'prompts' | 'server_requests' | 'audit' | 'failure_mode';
  /** the role, `agent NAME`, or the setting the change is about; '' for the whole section */
  subject: string;
  /** names, globs or values the new policy has that the old one does not cover */
  added: string[];
  /** … and those the old policy had that the new one does not cover */
  removed: string[];
  widened: boolean;
  /** one line for people */
  summary: string;
}

const own = <T>(rec: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  rec && Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;

/**
 * True when glob `q` matches every name glob `p` matches: `q` matches `p` read literally. Sound (`q`'s
 * literal characters can only meet `p`'s literal characters, never its `*`); it may miss a cover made
 * of several globs, which then shows as a change rather than be hidden.
 */
function covered(p: string, by: readonly string[]): boolean {
  return by.some((q) => globMatch(q, p));
}

function delta(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  return { added: [...new Set(after.filter((p) => !covered(p, before)))], removed: [...new Set(before.filter((p) => !covered(p, after)))] };
}

/** The globs a role set may read (`uris`) or get (`prompts`): grants of its declared roles. */
function granted(p: Policy, roles: readonly string[], section: 'resources' | 'prompts'): string[] {
  const grants: ReadonlyArray<{ agent_role: string; uris?: string[]; prompts?: string[] }> = p[section] ?? [];
  return grants.filter((g) => roles.includes(g.agent_role) && own(p.roles, g.agent_role) !== undefined)
    .flatMap((g) => (section === 'resources' ? g.uris : g.prompts) ?? []);
}

const list = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

function change(section: SettingChange['section'], subject: string, d: { added: string[]; removed: string[] }, widened: boolean, summary: string): SettingChange {
  return { section, subject, added: d.added, removed: d.removed, widened, summary };
}

/** A glob-set change: wider when something was added. */
function globChange(section: 'resources' | 'prompts' | 'server_requests', subject: string, before: readonly string[], after: readonly string[]): SettingChange[] {
  const d = delta(before, after);
  if (d.added.length === 0 && d.removed.length === 0) return [];
  const what = section === 'resources' ? 'resources' : section === 'prompts' ? 'prompts' : 'server requests';
  const parts = [...(d.added.length > 0 ? [`now allows ${list(d.added)}`] : []), ...(d.removed.length > 0 ? [`no longer ${list(d.removed)}`] : [])];
  return [change(section, subject, d, d.added.length > 0, `${what}${subject ? ` for ${subject}` : ''}: ${parts.join('; ')}`)];
}

/** Every change outside tool calls between two policies: agents, resources, prompts, server requests, audit. */
export function settingChanges(oldP: Policy, newP: Policy): SettingChange[] {
  const out: SettingChange[] = [];
  const agentNames = [...new Set([...Object.keys(oldP.agents ?? {}), ...Object.keys(newP.agents ?? {})])].sort();
  const moved: Array<{ name: string; before: string[]; after: string[] }> = [];
  for (const name of agentNames) {
    const before = [...new Set(own(oldP.agents, name)?.roles ?? [])];
    const after = [...new Set(own(newP.agents, name)?.roles ?? [])];
    const d = { added: after.filter((r) => !before.includes(r)), removed: before.filter((r) => !after.includes(r)) };
    if (d.added.length === 0 && d.removed.length === 0) continue;
    moved.push({ name, before, after });
    out.push(change('agents', `agent ${name}`, d, d.added.length > 0,
      `agent ${name}: roles [${before.join(', ')}] → [${after.join(', ')}]${d.added.length > 0 ? ` (gains ${d.added.join(', ')})` : ''}`));
  }
  for (const section of ['resources', 'prompts'] as const) {
    const roles = [...new Set([...(oldP[section] ?? []), ...(newP[section] ?? [])].map((g) => g.agent_role))].sort();
    for (const r of roles) out.push(...globChange(section, r, granted(oldP, [r], section), granted(newP, [r], section)));
    // an agent whose bindings changed reads with its old roles under the old policy, its new ones under the new
    for (const a of moved) out.push(...globChange(section, `agent ${a.name}`, granted(oldP, a.before, section), granted(newP, a.after, section)));
  }
  out.push(...globChange('server_requests', '', oldP.server_requests?.allow ?? DEFAULT_SERVER_REQUESTS, newP.server_requests?.allow ?? DEFAULT_SERVER_REQUESTS));
  const setting = (section: 'audit' | 'failure_mode', subject: string, before: string, after: string, unsafe: string, why: string): void => {
    if (before === after) return;
    out.push(change(section, subject, { added: [after], removed: [before] }, after === unsafe,
      `${section === 'audit' ? `audit.${subject}` : section}: ${before} → ${after}${after === unsafe ? ` (${why})` : ''}`));
  };
  setting('audit', 'on_write_error', oldP.audit?.on_write_error ?? 'deny', newP.audit?.on_write_error ?? 'deny', 'allow', 'calls run when their audit record cannot be written');
  setting('failure_mode', '', oldP.failure_mode ?? 'closed', newP.failure_mode ?? 'closed', 'open', 'calls run when a check fails');
  const [rb, ra] = [oldP.audit?.redact ?? [], newP.audit?.redact ?? []];
  const rd = { added: ra.filter((k) => !rb.includes(k)), removed: rb.filter((k) => !ra.includes(k)) };
  if (rd.added.length > 0 || rd.removed.length > 0) {
    const parts = [...(rd.removed.length > 0 ? [`${list(rd.removed)} now written to the log in clear`] : []), ...(rd.added.length > 0 ? [`now redacts ${list(rd.added)}`] : [])];
    out.push(change('audit', 'redact', rd, rd.removed.length > 0, `audit.redact: ${parts.join('; ')}`));
  }
  return out;
}
