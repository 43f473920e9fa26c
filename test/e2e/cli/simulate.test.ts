// `mandate simulate` end to end: the built CLI as a process, the broken corpus, JUnit read by a
// standard XML parser, replay, the printed `mandate check` command, and live tools/list over stdio.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PassThrough } from 'node:stream';
import { simulate } from '../../../extension/cli/commands/simulate';
import type { Io } from '../../../extension/cli/io';
import { ROOT, runCli } from '../../support/cli';
import { tempDir } from '../../support/tmp';

const CORPUS = 'test/fixtures/broken';
const WHEN = ['--seed', '20261125', '--at', '2026-06-01T00:00:00Z', '--until', '2026-09-01T00:00:00Z'];

/** Split a POSIX shell command line as `shellQuote` writes it (bare words and single quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return words;
}

interface JsonReport {
  ok: boolean; calls: number; seed: number;
  counterexamples: Array<{ kind: string; name: string; effect: string; command: string; call: unknown; replay?: { seed: number; path: string; command: string } }>;
}

describe('mandate simulate', () => {
  it('exits 1 on a broken invariant, printing where it is and how to reproduce it', async () => {
    const r = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.broken.mandate.yaml`, ...WHEN]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^BROKEN {2}invariant `records are never deleted by an agent` \(test\/fixtures\/broken\/deny-typo\.broken\.mandate\.yaml:9:5\)$/m);
    assert.match(r.stdout, /reproduce: mandate check --policy test\/fixtures\/broken\/deny-typo\.broken\.mandate\.yaml --role records_admin --tool delete_records /);
    assert.match(r.stdout, /^coverage: 2 of 2 rules decided a call$/m);
  });

  it('exits 0 on the repaired twin, naming the built-in check no manifest let it run', async () => {
    const r = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, ...WHEN]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^vacuous builtin `read_only roles are never allowed destructive tools`: no manifest was given/m);
    assert.match(r.stdout, /^result: 6 of 7 properties hold, 1 vacuous$/m);
    const withTools = await runCli(['simulate', '--policy', `${CORPUS}/destructive-by-annotation.fixed.mandate.yaml`, ...WHEN]);
    assert.equal(withTools.code, 0, withTools.stdout);
    assert.match(withTools.stdout, /^result: all \d+ properties hold$/m);
  });

  it('fails invariants naming a role or tool the policy does not have, in text and JUnit', async () => {
    const dir = tempDir('mandate-sim-');
    const file = join(dir, 'typo.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles:', '  reader: { description: Reads., read_only: true }', '  payer: { description: Pays. }', 'grants:',
      '  - { agent_role: reader, tools: [read_invoice, issue_payment] }', '  - { agent_role: payer, tool: issue_payment, requires_approval: true }', 'invariants:',
      '  - name: readers never pay', '    never: { role: raeder, tool: issue_payment, effect: [allow, approval_required] }',
      '  - name: payments always need a human', '    never: { tool: issue_paymnet, effect: allow }', ''].join('\n'));
    const r = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '240'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^INVALID invariant `readers never pay` \(typo\.mandate\.yaml:9:5\): role `raeder` \(typo\.mandate\.yaml:10:20\) is not declared in `roles:` \(did you mean `reader`\?\)/m);
    assert.match(r.stdout, /^INVALID invariant `payments always need a human` \(typo\.mandate\.yaml:11:5\): tool `issue_paymnet` \(typo\.mandate\.yaml:12:20\) matches no tool/m);
    assert.match(r.stdout, /^result: \d+ of 8 properties hold, 2 invalid, 1 vacuous$/m);
    assert.doesNotMatch(r.stdout, /all \d+ properties hold/);
    const junit = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '240', '--format', 'junit'], { cwd: dir });
    assert.equal(junit.code, 1);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(junit.stdout) as { testsuites: { testsuite: { '@errors': string; testcase: Array<{ '@name': string; error?: unknown }> } } };
    assert.equal(doc.testsuites.testsuite['@errors'], '2');
    assert.deepEqual(doc.testsuites.testsuite.testcase.filter((t) => t.error !== undefined).map((t) => t['@name']), ['readers never pay', 'payments always need a human']);
  });

  it('fails a vacuous invariant unless --allow-vacuous, and says so', async () => {
    const dir = tempDir('mandate-sim-');
    const file = join(dir, 'vac.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { reader: { description: Reads., read_only: true } }', 'grants: [{ agent_role: reader, tool: read_invoice }]', 'invariants:',
      '  - name: readers never change anything', '    never: { role: reader, effect: allow, tool_annotations: { destructiveHint: true } }', ''].join('\n'));
    const r = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '500'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^VACUOUS invariant `readers never change anything` \(vac\.mandate\.yaml:5:5\): no manifest was given/m);
    assert.match(r.stdout, /^result: 5 of 7 properties hold, 2 vacuous — 1 vacuous invariant proved nothing and fails the run \(--allow-vacuous accepts it\)$/m);
    const allowed = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '500', '--allow-vacuous', '--format', 'junit'], { cwd: dir });
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /skipped="2"/);
  });

  it('fails an invariant whose selector admits no value as invalid, naming the operator, even with --allow-vacuous', async () => {
    const dir = tempDir('mandate-sim-');
    const file = join(dir, 'sel.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { payer: { description: Pays. } }', 'grants: [{ agent_role: payer, tool: issue_payment, requires_approval: true }]',
      'deny: [{ id: sanctioned, tools: [issue_payment], args: { vendor: { in: [evil-corp] } }, reason: Sanctioned. }]', 'invariants:',
      '  - name: evil corp is never paid', '    never: { tool: issue_payment, effect: [allow, approval_required], args: { vendor: { pattern: "^(?i:evil)" } } }',
      '  - name: no payment above the cap', '    never: { tool: issue_payment, effect: [allow, approval_required], args: { amount: { min: 1000, max: 10 } } }', ''].join('\n'));
    const r = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '300', '--allow-vacuous'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^INVALID invariant `evil corp is never paid` \(sel\.mandate\.yaml:6:5\): `vendor` pattern cannot be decided: it is not a valid regular expression \(.*\) \(sel\.mandate\.yaml:7:98\), so no call can fall within this invariant and it checks nothing$/m);
    assert.match(r.stdout, /^INVALID invariant `no payment above the cap` \(sel\.mandate\.yaml:8:5\): `amount` has min 1000 above max 10: no value satisfies it \(sel\.mandate\.yaml:9:\d+\), so no call can fall within this invariant and it checks nothing$/m);
    assert.match(r.stdout, /^result: \d+ of 8 properties hold, 2 invalid/m);
    assert.doesNotMatch(r.stdout, /^vacuous invariant/m);
  });

  it('fails an invariant comparing context with non-strings only (context values are strings) as invalid; a list with a string in it still selects', async () => {
    const dir = tempDir('mandate-sim-');
    const file = join(dir, 'ctx.mandate.yaml');
    writeFileSync(file, ['version: 1', 'roles: { ops: { description: Ops. } }', 'grants: [{ agent_role: ops, tool: restart_service }]', 'invariants:',
      '  - name: no restarts without mfa', '    never: { tool: restart_service, effect: allow, context: { mfa: [false] } }',
      '  - name: no restarts at risk 3', '    never: { tool: restart_service, effect: allow, context: { risk: { equals: 3 } } }',
      '  - name: no restarts without mfa, either spelling', '    never: { tool: restart_service, effect: allow, context: { mfa: [false, "false"] } }', ''].join('\n'));
    const r = await runCli(['simulate', '--policy', file, '--seed', '1', '--runs', '2000', '--allow-vacuous'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^INVALID invariant `no restarts without mfa` \(ctx\.mandate\.yaml:5:5\): context `mfa` is compared with the boolean false only, but context values are always strings at run time \(ctx\.mandate\.yaml:6:\d+\), so no call can fall within this invariant and it checks nothing$/m);
    assert.match(r.stdout, /^INVALID invariant `no restarts at risk 3` \(ctx\.mandate\.yaml:7:5\): context `risk` is compared with the number 3 only, but context values are always strings at run time/m);
    assert.match(r.stdout, /^BROKEN {2}invariant `no restarts without mfa, either spelling`/m);
  });

  it('runs the shipped examples green, naming what stayed vacuous', async () => {
    for (const name of ['finance', 'research', 'ops']) {
      const r = await runCli(['simulate', '--policy', `policies/examples/${name}.mandate.yaml`, '--seed', '20261125']);
      assert.equal(r.code, 0, `${name}: ${r.stdout}`);
      assert.match(r.stdout, name === 'finance' ? /^result: all \d+ properties hold$/m : /^result: (\d+) of \d+ properties hold, 1 vacuous$/m, name);
    }
  });

  it('lists the finance example\'s server live: its command runs from the policy\'s folder, as the editor runs it', async () => {
    // the command once named test/fixtures/… from the repository root: --live looked for it under policies/examples/
    const r = await runCli(['simulate', '--policy', 'policies/examples/finance.mandate.yaml', '--live', '--runs', '500', '--seed', '1']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^result: all \d+ properties hold$/m);
  });

  it('keeps the research example\'s tests green against server-filesystem\'s live schemas (its schema denies a missing path first)', async () => {
    // the example runs `npx -y …` in ./workspace; here the installed server, in a folder of the test's own
    const dir = tempDir();
    mkdirSync(join(dir, 'workspace'));
    const text = readFileSync(join(ROOT, 'policies/examples/research.mandate.yaml'), 'utf8');
    const command = `command: [${JSON.stringify(join(ROOT, 'node_modules/.bin/mcp-server-filesystem'))}, ./workspace]`;
    assert.match(text, /command: \[npx, -y, "@modelcontextprotocol\/server-filesystem", \.\/workspace\]/);
    writeFileSync(join(dir, 'research.mandate.yaml'), text.replace(/command: \[npx[^\]]*\]/, command));
    const r = await runCli(['simulate', '--policy', join(dir, 'research.mandate.yaml'), '--live', '--runs', '300', '--seed', '1']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ok {6}test `a missing path is denied`/m);
  });

  it('counts in words: one call, not "1 calls"', async () => {
    const r = await runCli(['simulate', '--policy', 'policies/examples/ops.mandate.yaml', '--runs', '1', '--seed', '1', '--allow-vacuous']);
    assert.match(r.stdout, /^mandate simulate \S+: 1 call, seed 1,/m);
    assert.doesNotMatch(r.stdout, /\b1 calls\b/);
  });

  it('prints a `mandate check` command that reproduces the counterexample decision', async () => {
    const r = await runCli(['simulate', '--policy', `${CORPUS}/prefix-not-within.broken.mandate.yaml`, ...WHEN, '--format', 'json']);
    const report = JSON.parse(r.stdout) as JsonReport;
    const cx = report.counterexamples.find((c) => c.kind === 'invariant')!;
    const words = shellWords(cx.command);
    assert.deepEqual(words.slice(0, 2), ['mandate', 'check']);
    const check = await runCli([...words.slice(1), '--format', 'json']);
    assert.equal((JSON.parse(check.stdout) as { effect: string }).effect, cx.effect);
    assert.equal(check.code, cx.effect === 'allow' ? 0 : cx.effect === 'deny' ? 2 : 3);
  });

  it('replays a counterexample from its seed and path', async () => {
    const first = JSON.parse((await runCli(['simulate', '--policy', `${CORPUS}/max-off-by-one.broken.mandate.yaml`, ...WHEN, '--format', 'json'])).stdout) as JsonReport;
    const cx = first.counterexamples.find((c) => c.kind === 'invariant')!;
    const again = await runCli(['simulate', '--policy', `${CORPUS}/max-off-by-one.broken.mandate.yaml`, '--at', '2026-06-01T00:00:00Z',
      '--until', '2026-09-01T00:00:00Z', '--seed', String(cx.replay!.seed), '--replay', cx.replay!.path, '--format', 'json']);
    const replayed = JSON.parse(again.stdout) as JsonReport;
    assert.equal(replayed.calls, 1);
    assert.deepEqual(replayed.counterexamples.find((c) => c.name === cx.name)?.call, cx.call);
  });

  it('replays, with the printed command, a counterexample whose amount the boundary pass moved (`@SLOT=GENE` in its path)', async () => {
    const policy = `${CORPUS}/case-variant-vendor.broken.mandate.yaml`;
    const first = JSON.parse((await runCli(['simulate', '--policy', policy, ...WHEN, '--format', 'json'])).stdout) as JsonReport;
    const cx = first.counterexamples.find((c) => c.kind === 'invariant')!;
    assert.match(cx.replay!.path, /^\d+(:\d+)*@\d+=\d+$/);
    assert.equal((cx.call as { args: { amount: number } }).args.amount, 0.01, 'the amount nearest zero the grant allows');
    const again = await runCli([...shellWords(cx.replay!.command).slice(1), '--format', 'json']);
    const replayed = JSON.parse(again.stdout) as JsonReport;
    assert.equal(replayed.calls, 1);
    assert.deepEqual(replayed.counterexamples.find((c) => c.name === cx.name)?.call, cx.call);
  });

  it('writes JUnit XML that a standard parser accepts, one failure per broken property', async () => {
    const r = await runCli(['simulate', '--policy', `${CORPUS}/destructive-by-annotation.broken.mandate.yaml`, ...WHEN, '--format', 'junit']);
    assert.equal(r.code, 1);
    assert.equal(XMLValidator.validate(r.stdout), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(r.stdout) as {
      testsuites: { testsuite: { '@failures': string; testcase: Array<{ '@name': string; failure?: { '@message': string } }> } };
    };
    const suite = doc.testsuites.testsuite;
    const failed = suite.testcase.filter((t) => t.failure).map((t) => t['@name']).sort();
    assert.deepEqual(failed, ['read_only roles are never allowed destructive tools', 'readers never run destructive tools']);
    assert.equal(suite['@failures'], '2');
  });

  it('refuses bad options with one line and no stack trace', async () => {
    const r = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, '--runs', 'lots']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'mandate simulate: --runs expects an integer from 1 to 10000000, got `lots`');
    const missing = await runCli(['simulate', '--policy', 'no/such.mandate.yaml']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read policy `no\/such\.mandate\.yaml`: no such file/);
    const replay = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, '--replay', '3:1@5']);
    assert.equal(replay.code, 1);
    assert.equal(replay.stderr.trim(), 'mandate simulate: --replay expects a path such as `17:3:0` or `17:3:0@5=129`, got `3:1@5`');
    // well formed, but not this policy's: said so, never as an internal error
    const misfit = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, '--replay', '3@99=1']);
    assert.equal(misfit.code, 1);
    assert.match(misfit.stderr.trim(), /^mandate simulate: --replay: replay path `3@99=1` does not fit this policy's calls \(`@99=1`: they have \d+ genes\); was it printed by a run of another policy\?$/);
    const huge = await runCli(['simulate', '--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, '--replay', '3@0=999999999']);
    assert.match(huge.stderr.trim(), /^mandate simulate: --replay: replay path `3@0=999999999` does not fit this policy's calls \(`@0=999999999`: gene 0 goes up to \d+\)/);
  });

  it('lists tools live from a real MCP server without calling any, and uses their annotations', async () => {
    const dir = tempDir('mandate-sim-');
    const server = join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
    writeFileSync(join(dir, 'marker.txt'), 'untouched\n');
    writeFileSync(join(dir, 'fs.mandate.yaml'), [
      'version: 1', 'roles: { reader: { description: Reads., read_only: true } }', 'grants:', '  - { agent_role: reader, tools: ["*"] }',
      'servers:', `  fs: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(server)}, ${JSON.stringify(dir)}] }`, ''].join('\n'));
    const r = await runCli(['simulate', '--policy', join(dir, 'fs.mandate.yaml'), '--live', '--runs', '2000', '--seed', '1', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport & { universe: { tools: string[] } };
    assert.ok(report.universe.tools.includes('write_file') && report.universe.tools.includes('read_text_file'));
    const cx = report.counterexamples.find((c) => c.name === 'read_only roles are never allowed destructive tools');
    assert.ok(cx, 'a read-only role granted `*` reaches a destructive tool');
    // the replay lists the tools live again: without --live it would regenerate against another universe
    const replay = cx.replay?.command;
    assert.match(replay ?? '', / --live /);
    const again = await runCli([...shellWords(replay!).slice(1), '--format', 'json']);
    assert.deepEqual((JSON.parse(again.stdout) as JsonReport).counterexamples.find((c) => c.name === cx.name)?.call, cx.call);
    const left = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(server) && l.includes(dir));
    assert.deepEqual(left, [], 'the listed server is stopped when the CLI exits');
  });

  it('shows progress on a terminal (stderr) and nothing otherwise', async () => {
    const run = async (isTTY: boolean) => {
      const stderr = Object.assign(new PassThrough(), { isTTY });
      let err = '';
      stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      const io: Io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), cwd: ROOT, env: {}, now: () => Date.parse('2026-06-01T00:00:00Z'), isTTY: false };
      const code = await simulate.run(['--policy', `${CORPUS}/deny-typo.fixed.mandate.yaml`, '--runs', '5000', '--seed', '1'], io);
      return { code, err };
    };
    const tty = await run(true);
    assert.equal(tty.code, 0);
    assert.match(tty.err, /\rsimulate: 2500\/5000 calls, 0 broken/);
    assert.equal((await run(false)).err, '');
  });
});
