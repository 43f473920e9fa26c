// `mandate audit alerts --policy P LOG [--follow] [--webhook URL]`: evaluates the policy's `alerts:` rules
// on an audit log (and, following, on each record as the proxy appends it) and delivers the alerts.

import { loadPolicy } from '../load';
import { readFailure } from '../../proxy/readBounded';
import { AlertConfigError, AlertMonitor, deliver, sinksFor, type Alert } from '../../proxy/alerts';
import { followLines } from '../../proxy/alerts/follow';
import { sha256 } from '../../proxy/hash';
import { format, parse, required } from '../args';
import { CliError, println, type Io } from '../io';

export const alertsUsage = 'mandate audit alerts --policy P LOG [--follow] [--webhook URL] [--format text|json]';

/** Run `mandate audit alerts`. Exit 1 when any alert was raised (replay mode), 0 otherwise. */
export async function auditAlerts(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { policy: { type: 'string' }, follow: { type: 'boolean' }, webhook: { type: 'string' }, format: { type: 'string' } }, alertsUsage);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const policy = loadPolicy(required(values.policy, '--policy', alertsUsage), io.cwd).policy;
  if (positionals.length !== 1) throw new CliError(`expected one audit log\nusage: ${alertsUsage}`);
  const file = positionals[0]!;
  // the policy's rules (its defaults when `alerts:` is absent but a webhook is given on the command line)
  const config = { ...(policy.alerts ?? {}), ...(values.webhook !== undefined ? { webhook: values.webhook } : {}), stderr: false };
  let sinks;
  try {
    sinks = sinksFor(config, io.stderr);
  } catch (err) {
    if (err instanceof AlertConfigError) throw new CliError(err.message);
    throw err;
  }
  // INVARIANT: a gate with nothing to check fails: exit 0 would read as "no alert" in CI
  if (policy.alerts === undefined && values.webhook === undefined) throw new CliError('the policy has no `alerts:` section: no rules to evaluate (add one, or give --webhook URL to evaluate the default rules)');
  const monitor = new AlertMonitor(policy, policy.alerts ?? (values.webhook !== undefined ? {} : undefined), sha256);
  let raised = 0;
  let pending = Promise.resolve();
  const onAlert = (a: Alert): void => {
    raised++;
    println(io.stdout, fmt === 'json' ? JSON.stringify(a) : `${a.severity} ${a.rule}: ${a.message} (${a.time}, seq ${a.seq.join(',')})`);
    pending = pending.then(() => deliver(sinks, a));
  };
  let follower;
  try {
    follower = followLines(file, (line, { validUtf8 }) => { if (line.length > 0) monitor.observeLine(line, validUtf8).forEach(onAlert); }, values.follow === true);
  } catch (err) {
    throw new CliError(`cannot read audit log \`${file}\`: ${readFailure(err)}`);
  }
  if (values.follow) {
    println(io.stderr, `following ${file} (stop with Ctrl-C)`);
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    });
    follower.stop();
  }
  await pending;
  return raised > 0 && !values.follow ? 1 : 0;
}
