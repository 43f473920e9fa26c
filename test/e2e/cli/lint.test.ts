// `mandate lint` end to end: the built CLI as a process on real files in a temp dir, every format.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/cli';
import { tempDir } from '../../support/tmp';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'lint');

const POLICY = `version: 1
roles: { reader: { description: reads, read_only: true } }
grants:
  - { agent_role: reader, tools: [read_fiel, write_file] }
servers:
  db: { command: [node, db.js], environment: dev, credential: "env:DB", tools_manifest: manifests/db.json }
audit: { path: audit.jsonl }
`;

function workspace(policy = POLICY): string {
  const dir = tempDir('mandate-lint-');
  mkdirSync(join(dir, 'policies', 'manifests'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'p.mandate.yaml'), policy);
  copyFileSync(join(FIXTURES, 'tools-db.json'), join(dir, 'policies', 'manifests', 'db.json'));
  copyFileSync(join(FIXTURES, 'tools.json'), join(dir, 'tools.json'));
  return dir;
}

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/);
}

describe('mandate lint', () => {
  it('the shipped examples lint with no errors (exit 0)', async () => {
    const r = await runCli(['lint', 'policies/examples/finance.mandate.yaml', 'policies/examples/research.mandate.yaml', 'policies/examples/ops.mandate.yaml']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 files: 0 errors/);
  });

  it('reports file:line:col findings and exits 1 on errors; --tools and the server manifest both count', async () => {
    const dir = workspace();
    const r = await runCli(['lint', 'policies/p.mandate.yaml', '--tools', 'tools.json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^policies\/p\.mandate\.yaml:4:35: error tool\/unknown-tool: grant names tool `read_fiel`, which no governed server has \(did you mean `read_file`\?\)$/m);
    assert.match(r.stdout, /^policies\/p\.mandate\.yaml:4:46: error least-privilege\/read-only-writes: /m);
    assert.match(r.stdout, /1 file: \d+ errors?/);
    noStack(r.stderr);
  });

  it('refuses a policy that is not UTF-8 at the first bad byte, in lint and in every command that decides', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'latin1.mandate.yaml'), Buffer.concat([Buffer.from('version: 1\nroles:\n  agent: { description: "Caf'), Buffer.from([0xe9]), Buffer.from(' agent" }\ngrants: [{ agent_role: agent, tool: echo }]\n')]));
    for (const args of [['lint', 'latin1.mandate.yaml'], ['check', '--policy', 'latin1.mandate.yaml', '--role', 'agent', '--tool', 'echo']]) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /^latin1\.mandate\.yaml:3:29: error syntax: the file is not UTF-8 text \(byte 0xE9\): save it as UTF-8$/m);
    }
  });

  it('resolves a server\'s tools_manifest against the policy\'s folder, not the working directory', async () => {
    const dir = workspace(POLICY.replace('read_fiel, write_file', 'list_tables'));
    const inside = await runCli(['lint', join(dir, 'policies', 'p.mandate.yaml')], { cwd: tmpdir() });
    assert.equal(inside.code, 0, inside.stdout + inside.stderr);
    const typo = workspace(POLICY.replace('read_fiel, write_file', 'list_tabels'));
    const r = await runCli(['lint', 'policies/p.mandate.yaml'], { cwd: typo });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /did you mean `list_tables`\?/);
  });

  it('a missing server manifest is an error at the server\'s tools_manifest, never a stack trace', async () => {
    const dir = workspace(POLICY.replace('manifests/db.json', 'manifests/nope.json'));
    const r = await runCli(['lint', 'policies/p.mandate.yaml'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^policies\/p\.mandate\.yaml:6:\d+: error ref\/tools-manifest: cannot use tools manifest `manifests\/nope\.json` of server `db`: no such file$/m);
    noStack(r.stderr);
  });

  it('--format json lists the findings with rule, severity, pointer, range and fixes', async () => {
    const dir = workspace();
    const r = await runCli(['lint', 'policies/p.mandate.yaml', '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { files: number; errors: number; findings: Array<{ rule: string; pointer: string; fix?: unknown[] }> };
    assert.equal(out.files, 1);
    const ro = out.findings.find((f) => f.rule === 'least-privilege/read-only-writes');
    assert.equal(ro?.pointer, '/grants/0/tools/1');
    assert.ok(ro?.fix && ro.fix.length > 0);
    assert.equal(out.errors, out.findings.filter((f) => (f as { severity?: string }).severity === 'error').length);
  });

  it('--format sarif prints a SARIF 2.1.0 log with the rule table', async () => {
    const dir = workspace();
    const r = await runCli(['lint', 'policies/p.mandate.yaml', '--format', 'sarif'], { cwd: dir });
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string }> }> };
    assert.equal(log.version, '2.1.0');
    assert.ok(log.runs[0]!.tool.driver.rules.some((x) => x.id === 'approval/financial'));
    assert.ok(log.runs[0]!.results.some((x) => x.ruleId === 'tool/unknown-tool'));
  });

  it('bad input is one clear line and exit 1: a missing file, an unreadable manifest, an unknown format', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'bad.json'), '{"tools": 3}');
    for (const args of [['lint', 'nope.mandate.yaml'], ['lint', 'policies/p.mandate.yaml', '--tools', 'bad.json'], ['lint', 'policies/p.mandate.yaml', '--format', 'xml']]) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^mandate lint: [^\n]+\n$/);
    }
  });

  it('lints JSON policies with positions in the JSON text', async () => {
    const dir = workspace();
    const json = JSON.stringify({ version: 1, roles: { helper: { description: 'helps' } }, grants: [{ agent_role: 'helper', tool: '*' }], audit: { path: 'a.jsonl' } }, null, 2);
    writeFileSync(join(dir, 'p.mandate.json'), json);
    const r = await runCli(['lint', 'p.mandate.json'], { cwd: dir });
    assert.equal(r.code, 1);
    const line = json.split('\n').findIndex((l) => l.includes('"tool": "*"')) + 1;
    const col = json.split('\n')[line - 1]!.indexOf('"*"') + 1;
    assert.match(r.stdout, new RegExp(`^p\\.mandate\\.json:${line}:${col}: error over-broad/all-tools: role \`helper\` is granted every tool by \`\\*\`: list the tools it needs$`, 'm'));
  });
});
