// `mandate diff OLD NEW`: the calls whose decision changes, widened access first; exit 1 when access widens.
// A pure refactor (the same decisions written differently) prints nothing and exits 0.

import { diffPolicies, formatDiffText } from '../../../harness';
import { format, isoTime, parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { loadManifest, loadPolicy } from '../load';

const usage = 'mandate diff OLD NEW [--tools MANIFEST.json] [--runs N] [--seed S] [--at ISO-TIME] [--until ISO-TIME] [--format text|json]';

/** The default seed is fixed, so a pull request's check gives the same answer on every run. */
const DEFAULT_SEED = 1;

function integer(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError(`${flag} expects an integer from ${min} to ${max}, got \`${value}\``);
  return Number(value);
}

export const diff: CommandSpec = {
  summary: 'calls whose decision changes between two policies (exit 1 when access widens)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      tools: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, at: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' },
    }, usage);
    const fmt = format(values.format, ['text', 'json'] as const, 'text');
    if (positionals.length !== 2) throw new CliError(`expected two policy files, got ${positionals.length}\nusage: ${usage}`);
    const [oldPath, newPath] = positionals as [string, string];
    const oldP = loadPolicy(oldPath, io.cwd);
    const newP = loadPolicy(newPath, io.cwd);
    const at = isoTime(values.at, '--at', io.now());
    const until = values.until !== undefined ? isoTime(values.until, '--until', at) : undefined;
    if (until !== undefined && until < at) throw new CliError(`--until \`${values.until}\` is before --at`);
    const report = diffPolicies(oldP, newP, {
      runs: integer(values.runs, '--runs', 10_000, 1, 10_000_000), seed: integer(values.seed, '--seed', DEFAULT_SEED, -(2 ** 31), 2 ** 31 - 1),
      at, ...(until !== undefined ? { until } : {}), ...(values.tools ? { tools: loadManifest(values.tools) } : {}),
      command: { old: oldPath, new: newPath, ...(values.tools ? { tools: values.tools } : {}) },
    });
    if (fmt === 'json') println(io.stdout, JSON.stringify(report, null, 2));
    else for (const line of formatDiffText(report)) println(io.stdout, line);
    return report.ok ? 0 : 1;
  },
};
