// `mandate check`: one decision, explained. Exit 0 allow, 2 deny, 3 approval_required.

import { compile, decide, type Decision, type Effect } from '../../../policies';
import { contextPairs, format, isoTime, parse, required } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { loadPolicy, policyTools } from '../load';

const usage = 'mandate check --policy P (--role R… [--agent ID] | --agent ID) --tool T [--args JSON] [--context k=v]… [--at ISO-TIME] [--tools MANIFEST]… [--format text|json]';

/** Exit codes by effect. */
export const EXIT: Record<Effect, number> = { allow: 0, deny: 2, approval_required: 3 };

/** Parse `--args`: a JSON object; anything else is refused with the parser's message. */
export function parseArgsJson(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`--args is not valid JSON: ${(err as Error).message}`);
  }
}

/** Render a decision for people. */
export function explain(d: Decision, tool: string, roles: readonly string[]): string[] {
  const head = `${d.effect.toUpperCase().replace('_', ' ')}: ${roles.join(', ')} → ${tool}`;
  return [head, ...d.reasons.map((r) => `  - ${r.message}`)];
}

export const check: CommandSpec = {
  summary: 'decide one call and explain it (exit 0 allow, 2 deny, 3 approval required)',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, {
      policy: { type: 'string' }, role: { type: 'string', multiple: true }, tool: { type: 'string' },
      args: { type: 'string' }, context: { type: 'string', multiple: true }, agent: { type: 'string' },
      at: { type: 'string' }, tools: { type: 'string', multiple: true }, format: { type: 'string' },
    }, usage, false);
    const fmt = format(values.format, ['text', 'json'] as const, 'text');
    const policyPath = required(values.policy, '--policy', usage);
    const parsed = loadPolicy(policyPath, io.cwd);
    // as the proxy: with --agent alone, the roles the policy's `agents` binds to it
    const agents = parsed.policy.agents ?? {};
    const bound = values.agent !== undefined && Object.prototype.hasOwnProperty.call(agents, values.agent) ? agents[values.agent]!.roles : [];
    const roles = values.role ?? bound;
    if (roles.length === 0) {
      const why = values.agent === undefined ? '' : `: the policy binds no roles to agent \`${values.agent}\` (its agents: ${Object.keys(agents).join(', ') || 'none'})`;
      throw new CliError(`missing --role${why}\nusage: ${usage}`);
    }
    const tool = required(values.tool, '--tool', usage);
    const args = parseArgsJson(values.args);
    const context = contextPairs(values.context);
    const now = isoTime(values.at, '--at', io.now());
    // as the proxy decides with its server's schema: --tools, then the governed servers' saved manifests
    const tools = await policyTools(parsed, policyPath, io.cwd, values.tools ?? []);
    const compiled = compile(parsed, tools ? { tools } : {});
    const d = decide(compiled, { principal: values.agent ?? 'cli', roles, tool, args, context, now });
    if (fmt === 'json') {
      println(io.stdout, JSON.stringify({ effect: d.effect, rules: d.rules, reasons: d.reasons, call: { roles, tool, args, context, at: new Date(now).toISOString() } }, null, 2));
    } else {
      for (const line of explain(d, tool, roles)) println(io.stdout, line);
    }
    return EXIT[d.effect];
  },
};
