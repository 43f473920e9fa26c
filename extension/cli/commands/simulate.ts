// `mandate simulate`: fuzz a policy against its invariants, tests and built-in properties.
// Exit 1 when a property breaks, an invariant names a role or tool the policy does not have, or an invariant is
// vacuous (no generated call fell within it) without --allow-vacuous. Tools come from --tools manifests, the policy's `tools_manifest`s, or --live.

import { formatJunit, formatText, ReplayError, simulate as runSimulation, type SimulationReport } from '../../../harness';
import type { ParsedPolicy, ToolManifest } from '../../../policies';
import { listTools } from '../../proxy/listTools';
import { format, isoTime, parse, required } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';
import { loadPolicy, policyTools } from '../load';

const usage = 'mandate simulate --policy P [--tools MANIFEST.json]… [--live] [--runs N] [--seed S] [--at ISO-TIME] [--until ISO-TIME] [--replay PATH] [--allow-vacuous] [--format text|json|junit]';

/** Largest run count accepted; beyond it a CI job would simply hang. */
const MAX_RUNS = 10_000_000;

function integer(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError(`${flag} expects an integer from ${min} to ${max}, got \`${value}\``);
  return Number(value);
}

/** Gather tools: explicit manifests, then the policy's own `tools_manifest`s, then (with --live) each server's tools/list. */
function gatherTools(parsed: ParsedPolicy, manifests: readonly string[], live: boolean, io: Io, policyPath: string): Promise<ToolManifest | undefined> {
  return policyTools(parsed, policyPath, io.cwd, manifests, live ? async (name, server, base) => {
    if (!server.command) return undefined;
    try {
      return await listTools(server.command, { ...(server.env ? { env: server.env } : {}), cwd: base });
    } catch (err) {
      throw new CliError(`cannot list the tools of server \`${name}\`: ${(err as Error).message.split('\n')[0] ?? 'failed'}`);
    }
  } : undefined);
}

function progress(io: Io): ((p: { done: number; total: number; broken: number }) => void) | undefined {
  const stderr = io.stderr as { isTTY?: boolean };
  if (!stderr.isTTY) return undefined;
  return (p) => io.stderr.write(`\rsimulate: ${p.done}/${p.total} calls, ${p.broken} broken${p.done === p.total ? '\r\u001b[K' : ''}`);
}

function render(report: SimulationReport, fmt: 'text' | 'json' | 'junit', io: Io): void {
  if (fmt === 'json') println(io.stdout, JSON.stringify(report, null, 2));
  else if (fmt === 'junit') println(io.stdout, formatJunit([report]));
  else for (const line of formatText(report)) println(io.stdout, line);
}

export const simulate: CommandSpec = {
  summary: 'fuzz a policy against its invariants (exit 1 when one breaks, is invalid or is vacuous)',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, {
      policy: { type: 'string' }, tools: { type: 'string', multiple: true }, live: { type: 'boolean' }, runs: { type: 'string' },
      seed: { type: 'string' }, at: { type: 'string' }, until: { type: 'string' }, replay: { type: 'string' }, format: { type: 'string' },
      'allow-vacuous': { type: 'boolean' },
    }, usage, false);
    const fmt = format(values.format, ['text', 'json', 'junit'] as const, 'text');
    const policyPath = required(values.policy, '--policy', usage);
    const parsed = loadPolicy(policyPath, io.cwd);
    const runs = integer(values.runs, '--runs', 10_000, 1, MAX_RUNS);
    const seed = integer(values.seed, '--seed', Math.floor(Math.random() * 2 ** 31), -(2 ** 31), 2 ** 31 - 1);
    const at = isoTime(values.at, '--at', io.now());
    const until = values.until !== undefined ? isoTime(values.until, '--until', at) : undefined;
    if (until !== undefined && until < at) throw new CliError(`--until \`${values.until}\` is before --at`);
    if (values.replay !== undefined && !/^\d+(:\d+)*(@\d+=\d+(,\d+=\d+)*)?$/.test(values.replay)) {
      throw new CliError(`--replay expects a path such as \`17:3:0\` or \`17:3:0@5=129\`, got \`${values.replay}\``);
    }
    const tools = await gatherTools(parsed, values.tools ?? [], values.live === true, io, policyPath);
    const onProgress = progress(io);
    const report = await runSimulation(parsed, {
      runs, seed, at, ...(until !== undefined ? { until } : {}), ...(tools ? { tools } : {}), ...(onProgress ? { onProgress } : {}),
      ...(values.replay !== undefined ? { replay: { path: values.replay } } : {}),
      command: { policy: policyPath, tools: values.tools ?? [], live: values.live === true },
      allowVacuous: values['allow-vacuous'] === true,
    }).catch((err: unknown) => {
      if (err instanceof ReplayError) throw new CliError(`--replay: ${err.message}`);
      throw err;
    });
    render(report, fmt, io);
    return report.ok ? 0 : 1;
  },
};
