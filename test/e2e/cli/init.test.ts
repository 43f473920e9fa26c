// `mandate init`: a real published MCP server's tools → a starter policy that lints, tests and simulates
// clean, and that the proxy then enforces (the reader sees only read-only tools and cannot delete).

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parsePolicy } from '../../../policies';
import { fromFolder } from '../../../extension/cli/commands/init';
import { runCli } from '../../support/cli';
import { SEED } from '../../support/seed';
import { bin, connectProxy, FIXTURES, records, tempDir, textOf } from '../proxy/support';
import { everythingHttp, recordingForwarder, spawnUntil, stop } from '../http/support';

const MEMORY = bin('mcp-server-memory');

describe('e2e cli: mandate init', function () {
  this.timeout(120_000);

  it('writes a starter policy for server-memory that lints, tests and simulates clean, and the proxy enforces', async () => {
    const dir = tempDir();
    const memoryFile = join(dir, 'memory.jsonl');
    const r = await runCli(['init', 'memory', '--env', `MEMORY_FILE_PATH=${memoryFile}`, '--', MEMORY], { cwd: dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /wrote memory\.tools\.json \(9 tools\) and memory\.mandate\.yaml/);
    assert.match(r.stdout, /memory_reader: open_nodes, read_graph, search_nodes/);
    assert.match(r.stdout, /each call approved by a human: delete_entities, delete_observations, delete_relations/);
    assert.match(r.stdout, /mandate proxy --policy memory\.mandate\.yaml --role memory_reader --server memory -- /);
    assert.doesNotMatch(r.stdout, /taken as destructive because/, 'every memory tool says what it is');

    const text = readFileSync(join(dir, 'memory.mandate.yaml'), 'utf8');
    const p = parsePolicy(text, 'memory.mandate.yaml');
    assert.ok(p.ok);
    assert.deepEqual(p.parsed.policy.servers!['memory'], { command: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile }, tools_manifest: 'memory.tools.json' });
    assert.equal((JSON.parse(readFileSync(join(dir, 'memory.tools.json'), 'utf8')) as { tools: unknown[] }).tools.length, 9);

    for (const args of [['lint', 'memory.mandate.yaml'], ['test', 'memory.mandate.yaml'], ['simulate', '--policy', 'memory.mandate.yaml', '--runs', '1000', '--seed', String(SEED)]]) {
      const x = await runCli(args, { cwd: dir });
      assert.equal(x.code, 0, `${args.join(' ')}:\n${x.stdout}${x.stderr}`);
    }
    const tests = await runCli(['test', 'memory.mandate.yaml'], { cwd: dir });
    assert.match(tests.stdout, /4 passed|passed: 4|4 of 4/, tests.stdout);

    // what it wrote is what the proxy enforces, on the same server
    const g = await connectProxy({ dir, policy: join(dir, 'memory.mandate.yaml'), proxyArgs: ['--role', 'memory_reader'], server: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile } });
    try {
      assert.deepEqual((await g.client.listTools()).tools.map((t) => t.name).sort(), ['open_nodes', 'read_graph', 'search_nodes']);
      const denied = await g.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['x'] } });
      assert.equal(denied.isError, true);
      assert.match(textOf(denied), /denied/i);
      assert.equal((await g.client.callTool({ name: 'read_graph', arguments: {} })).isError ?? false, false);
    } finally {
      await g.close();
    }
    const decisions = records(g.audit).filter((x) => x['kind'] === 'decision').map((x) => [x['tool'], (x['decision'] as { effect: string }).effect]);
    assert.deepEqual(decisions, [['delete_entities', 'deny'], ['read_graph', 'allow']]);
  });

  it('the proxy line it prints gives the server the --env values kept in the policy (MEMORY_FILE_PATH was dropped: the stdio proxy passed only its own environment)', async () => {
    const dir = tempDir();
    const memoryFile = join(dir, 'kept.jsonl');
    const r = await runCli(['init', 'memory', '--env', `MEMORY_FILE_PATH=${memoryFile}`, '--env', 'MEMORY_E2E_TOKEN', '--', MEMORY], { cwd: dir, env: { MEMORY_E2E_TOKEN: 's3cret' } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /mandate proxy --policy memory\.mandate\.yaml --role memory_reader --server memory -- /);
    // run as printed (a writer, to make the server write its file), from an environment that has neither variable
    assert.equal(process.env['MEMORY_FILE_PATH'] ?? process.env['MEMORY_E2E_TOKEN'], undefined);
    const g = await connectProxy({ dir, policy: join(dir, 'memory.mandate.yaml'), proxyArgs: ['--role', 'memory_writer', '--server', 'memory'], server: [MEMORY] });
    try {
      const made = await g.client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'a', entityType: 't', observations: [] }] } });
      assert.equal(made.isError ?? false, false, textOf(made));
    } finally {
      await g.close();
    }
    assert.ok(existsSync(memoryFile), 'the server wrote where the policy\'s env says');
    assert.match(g.stderr(), /server `memory` env refers to variables that are not set, left out: MEMORY_E2E_TOKEN/);
  });

  it('a server that cannot be listed is shown with the last thing it wrote on stderr (it said only "Connection closed")', async () => {
    const dir = tempDir();
    const r = await runCli(['init', 'gone', '--', process.execPath, join(dir, 'no-such-server.mjs')], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /cannot list the tools of `.*no-such-server\.mjs`: .*Connection closed \(the server exited with code 1\); the server's stderr ended: .*Cannot find module/s);
    assert.equal(existsSync(join(dir, 'gone.mandate.yaml')), false);
  });

  it('a server by URL that cannot be reached says why (fetch said only "fetch failed")', async () => {
    const dir = tempDir();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCli(['init', 'gone', '--url', `http://127.0.0.1:${port}/mcp`], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`cannot list the tools of \`http://127\\.0\\.0\\.1:${port}/mcp\`: fetch failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`));
  });

  it('a server whose stderr ends in several error lines is shown with them all (npx: the reason, then where its log is)', async () => {
    const dir = tempDir();
    const npxLike = "console.error('npm error npx canceled due to missing packages and no YES option: [\\'x@1\\']'); console.error('npm error A complete log of this run can be found in: /root/.npm/_logs/debug-0.log'); process.exit(1)";
    const r = await runCli(['init', 'gone', '--', process.execPath, '-e', npxLike], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    // only the last line was shown: where npm's log is, not why it stopped
    assert.match(r.stderr, /the server's stderr ended: npm error npx canceled due to missing packages and no YES option: \['x@1'\] \/ npm error A complete log of this run/);
  });

  it('writes into --dir, made if need be, and runs the server where the command was typed (its relative paths are the user\'s)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'servers'));
    for (const f of ['hang.mjs', 'lib.mjs']) copyFileSync(join(FIXTURES, f), join(dir, 'servers', f));
    const r = await runCli(['init', 'hang', '--dir', 'policies/new', '--', process.execPath, 'servers/hang.mjs'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote policies\/new\/hang\.tools\.json \(2 tools\) and policies\/new\/hang\.mandate\.yaml/);
    assert.ok(existsSync(join(dir, 'policies/new/hang.mandate.yaml')));
    // the policy's command runs from the policy's folder (simulate --live, the editor): it names the script from there
    assert.match(r.stdout, /the policy's server command runs from its folder, so it names `servers\/hang\.mjs` as `\.\.\/\.\.\/servers\/hang\.mjs`/);
    const written = parsePolicy(readFileSync(join(dir, 'policies/new/hang.mandate.yaml'), 'utf8'), 'hang.mandate.yaml');
    assert.ok(written.ok);
    assert.deepEqual(written.parsed.policy.servers?.['hang']?.command, [process.execPath, '../../servers/hang.mjs']);
    const live = await runCli(['simulate', '--policy', join(dir, 'policies/new/hang.mandate.yaml'), '--live', '--runs', '50'], { cwd: tempDir() });
    assert.doesNotMatch(live.stderr, /Cannot find module|cannot list/, live.stderr);
    // the proxy line runs from where init was typed: the command as typed
    assert.match(r.stdout, /-- \S+ servers\/hang\.mjs\n/);
  });

  it('moves only relative paths that exist where the command was typed, and never the program\'s bare name', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'data'));
    writeFileSync(join(cwd, 'node'), '');
    const r = fromFolder(['node', 'data', '.', 'nothing-here', '--root=data', '-y', '/abs/path', './data'], cwd, join(cwd, 'a/b'));
    assert.deepEqual(r.command, ['node', '../../data', '../..', 'nothing-here', '--root=data', '-y', '/abs/path', '../../data']);
    assert.deepEqual(fromFolder(['./run.sh'], cwd, cwd).command, ['./run.sh'], 'the same folder: as typed');
    writeFileSync(join(cwd, 'run.sh'), '');
    assert.deepEqual(fromFolder(['./run.sh', 'data'], join(cwd, 'data'), cwd).command, ['./run.sh', 'data'], 'only what exists from where it was typed');
    assert.deepEqual(fromFolder(['../run.sh', '.'], join(cwd, 'data'), cwd).command, ['./run.sh', './data']);
  });

  it('for server-filesystem: names the tools that take paths and are granted without `within`; what it writes lints and tests', async () => {
    const dir = tempDir();
    const r = await runCli(['init', 'fs', '--', bin('mcp-server-filesystem'), dir], { cwd: dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /granted without a `within` scope, so they reach any path the server allows: .*read_text_file \(path\)/);
    assert.match(r.stdout, /move_file \(source, destination\)/);
    assert.match(r.stdout, /fs_writer, each call approved by a human: edit_file, move_file, write_file/);
    for (const args of [['lint', 'fs.mandate.yaml'], ['test', 'fs.mandate.yaml']]) {
      const x = await runCli(args, { cwd: dir });
      assert.equal(x.code, 0, `${args.join(' ')}:\n${x.stdout}${x.stderr}`);
    }
    const memory = await runCli(['init', 'memory', '--', MEMORY], { cwd: dir, env: { MEMORY_FILE_PATH: join(dir, 'm.jsonl') } });
    assert.doesNotMatch(memory.stdout, /within/, 'no memory tool takes a path');
  });

  it('overwrites nothing, and writes nothing when the server cannot be listed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'memory.tools.json'), '{"tools": []}\n');
    const again = await runCli(['init', 'memory', '--', MEMORY], { cwd: dir, env: { MEMORY_FILE_PATH: join(dir, 'm.jsonl') } });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /`memory\.tools\.json` already exists; not overwriting/);
    assert.equal(readFileSync(join(dir, 'memory.tools.json'), 'utf8'), '{"tools": []}\n');
    assert.equal(existsSync(join(dir, 'memory.mandate.yaml')), false);

    const broken = await runCli(['init', 'nothing', '--timeout', '5', '--', process.execPath, '-e', 'process.exit(3)'], { cwd: dir });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /cannot list the tools of `.*process\.exit\(3\)`/);
    assert.equal(existsSync(join(dir, 'nothing.mandate.yaml')) || existsSync(join(dir, 'nothing.tools.json')), false);
  });

  it('a --dir that is a file, or under one, is one clear line and nothing is written (it was an internal error: EEXIST, mkdir)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const server = [process.execPath, join(FIXTURES, 'finance-server.mjs')];
    const cases: Array<[string, RegExp]> = [
      ['notes.txt', /^mandate init: --dir `notes\.txt` is not a folder\n$/],
      ['/dev/null', /^mandate init: --dir `\/dev\/null` is not a folder\n$/],
      ['notes.txt/sub', /^mandate init: cannot write `notes\.txt\/sub`: `.*notes\.txt` is not a folder\n$/],
    ];
    for (const [where, re] of cases) {
      const r = await runCli(['init', 'finance', '--dir', where, '--', ...server], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, re);
    }
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
    const keys = await runCli(['keys', 'generate', '--dir', 'notes.txt'], { cwd: dir });
    assert.match(keys.stderr, /^mandate keys: cannot write the keys into `.*notes\.txt`: `.*notes\.txt` is not a folder\n$/);
  });

  it('keeps a secret out of the policy: a value is refused, a name becomes a ${NAME} reference', async () => {
    const dir = tempDir();
    const refused = await runCli(['init', 'memory', '--env', 'API_TOKEN=s3cr3t-value', '--', MEMORY], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a secret's value would be written into the policy; export it and pass `--env API_TOKEN`/);
    assert.equal(existsSync(join(dir, 'memory.mandate.yaml')), false);

    const ok = await runCli(['init', 'memory', '--env', 'API_TOKEN', '--env', 'MEMORY_FILE_PATH', '--', MEMORY], { cwd: dir, env: { API_TOKEN: 's3cr3t-value', MEMORY_FILE_PATH: join(dir, 'm.jsonl') } });
    assert.equal(ok.code, 0, ok.stderr);
    const text = readFileSync(join(dir, 'memory.mandate.yaml'), 'utf8');
    assert.ok(!text.includes('s3cr3t-value'));
    const p = parsePolicy(text, 'memory.mandate.yaml');
    assert.ok(p.ok);
    assert.deepEqual(p.parsed.policy.servers!['memory']!.env, { API_TOKEN: '${API_TOKEN}', MEMORY_FILE_PATH: '${MEMORY_FILE_PATH}' });

    const unset = await runCli(['init', 'other', '--env', 'NOT_SET_ANYWHERE_42', '--', MEMORY], { cwd: dir });
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /`NOT_SET_ANYWHERE_42` is not set in this environment/);
  });

  it('says which tools it took as destructive only because the server does not annotate them', async () => {
    const dir = tempDir();
    const r = await runCli(['init', 'hang', '--', process.execPath, join(FIXTURES, 'hang.mjs')], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hang_writer, each call approved by a human: hang, ok/);
    assert.match(r.stdout, /taken as destructive because the server does not say otherwise \(the MCP default\): hang, ok/);
    assert.match(r.stdout, /--role hang_writer --/);
  });

  it('lists a Streamable HTTP server (server-everything) with a header it never writes, and the policy names the URL', async () => {
    const up = await everythingHttp();
    try {
      const dir = tempDir();
      const r = await runCli(['init', 'everything', '--url', up.url, '--header', 'Authorization: Bearer s3cr3t-header'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /wrote everything\.tools\.json \(\d+ tools\) and everything\.mandate\.yaml/);
      assert.match(r.stdout, /\n {2}mandate proxy --policy everything\.mandate\.yaml --role everything_reader --upstream http:\/\/127\.0\.0\.1:\d+\/mcp\n/);
      assert.match(r.stdout, /mandate proxy --listen 127\.0\.0\.1:8080 --policy everything\.mandate\.yaml --jwks JWKS --upstream http/);
      const text = readFileSync(join(dir, 'everything.mandate.yaml'), 'utf8');
      assert.ok(!text.includes('s3cr3t-header') && !readFileSync(join(dir, 'everything.tools.json'), 'utf8').includes('s3cr3t-header'));
      const p = parsePolicy(text, 'everything.mandate.yaml');
      assert.ok(p.ok);
      assert.deepEqual(p.parsed.policy.servers!['everything'], { url: up.url, tools_manifest: 'everything.tools.json' });
      assert.ok(p.parsed.policy.grants!.some((g) => g.agent_role === 'everything_reader' && g.tools?.includes('get-env')), 'get-env is annotated read-only');
      for (const args of [['lint', 'everything.mandate.yaml'], ['test', 'everything.mandate.yaml']]) {
        const x = await runCli(args, { cwd: dir });
        assert.equal(x.code, 0, `${args.join(' ')}:\n${x.stdout}${x.stderr}`);
      }
      // the command it printed guards the server: the reader sees and may call read-only tools only
      const g = await connectProxy({ policy: 'everything.mandate.yaml', dir, proxyArgs: ['--role', 'everything_reader', '--upstream', up.url], server: [] });
      try {
        const names = (await g.client.listTools()).tools.map((t) => t.name);
        const reads = p.parsed.policy.grants!.filter((x) => x.agent_role === 'everything_reader').flatMap((x) => x.tools ?? []);
        assert.ok(names.length > 0 && names.every((n) => reads.includes(n)), `listed ${names.join(', ')}`);
        const writer = p.parsed.policy.grants!.find((x) => x.agent_role === 'everything_writer')?.tools?.[0];
        assert.ok(writer !== undefined);
        const denied = await g.client.callTool({ name: writer, arguments: {} }) as { isError?: boolean };
        assert.equal(denied.isError, true);
        assert.match(textOf(denied), /no grant gives `everything_reader`/);
        assert.deepEqual(records(g.audit).filter((x) => x.kind === 'decision').map((x) => [x.server, x.decision?.effect]), [['everything', 'deny']]);
      } finally {
        await g.close();
      }
    } finally {
      await stop(up);
    }
  });

  it('stops reading a listing answer past 16 MiB, and says so (a server cannot fill its memory within the timeout)', async () => {
    const up = await spawnUntil(process.execPath, [join(FIXTURES, 'http-big-answer.mjs'), String(17 << 20)], { env: { BIG_LIST: '1' } }, /listening on port (\d+)/);
    try {
      const dir = tempDir();
      const r = await runCli(['init', 'big', '--url', `http://127.0.0.1:${up.match[1]}/mcp`], { cwd: dir });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /the server sent a message over 16777216 bytes \(the most a listing reads\)/);
      assert.ok(!existsSync(join(dir, 'big.mandate.yaml')), 'no policy from a listing cut off');
    } finally {
      await stop(up);
    }
  });

  it('--credential env:NAME: the listing and the proxy present the token; the policy names the variable, never its value', async () => {
    const up = await everythingHttp();
    const fwd = await recordingForwarder(up.url);
    try {
      const dir = tempDir();
      const env = { ...process.env, DOCS_TOKEN: 'tok-3141' };
      const r = await runCli(['init', 'docs', '--url', fwd.url, '--credential', 'env:DOCS_TOKEN'], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.ok(fwd.seen.length > 0 && fwd.seen.every((h) => h === 'Bearer tok-3141'), JSON.stringify(fwd.seen));
      const text = readFileSync(join(dir, 'docs.mandate.yaml'), 'utf8');
      assert.ok(!text.includes('tok-3141'), 'the token is not in the policy');
      const p = parsePolicy(text, 'docs.mandate.yaml');
      assert.ok(p.ok);
      assert.deepEqual(p.parsed.policy.servers!['docs'], { url: fwd.url, credential: 'env:DOCS_TOKEN', tools_manifest: 'docs.tools.json' });
      // the proxy line it printed, with the same environment: every upstream request carries the token
      const seen = fwd.seen.length;
      const g = await connectProxy({ policy: 'docs.mandate.yaml', dir, proxyArgs: ['--role', 'docs_reader', '--upstream', fwd.url], server: [], env: { DOCS_TOKEN: 'tok-3141' } });
      try {
        assert.ok((await g.client.listTools()).tools.length > 0);
      } finally {
        await g.close();
      }
      assert.ok(fwd.seen.length > seen && fwd.seen.slice(seen).every((h) => h === 'Bearer tok-3141'));
      for (const [args, message] of [
        [['init', 'x1', '--url', fwd.url, '--credential', 'env:NOT_SET_ANYWHERE'], /--credential env:NOT_SET_ANYWHERE: `NOT_SET_ANYWHERE` is not set in the environment/],
        [['init', 'x2', '--url', fwd.url, '--credential', 'tok-3141'], /--credential expects env:NAME/],
        [['init', 'x3', '--url', 'http://mcp.example.com/mcp', '--credential', 'env:DOCS_TOKEN'], /refusing to send the credential over cleartext http to `mcp\.example\.com`/],
        [['init', 'x4', '--credential', 'env:DOCS_TOKEN', '--', process.execPath, '-e', ''], /--credential is for an HTTP server \(--url\)/],
        [['init', 'x5', '--url', fwd.url, '--credential', 'env:DOCS_TOKEN', '--header', 'Authorization: Bearer other'], /--credential and an Authorization --header exclude each other/],
      ] as const) {
        const x = await runCli([...args], { cwd: dir, env });
        assert.equal(x.code, 1, `${args.join(' ')}\n${x.stdout}${x.stderr}`);
        assert.match(x.stderr, message);
        assert.ok(!x.stderr.includes('tok-3141'), 'no error prints the token');
      }
    } finally {
      fwd.server.close();
      await stop(up);
    }
  });

  it('survives an odd tool list: leaves out names a policy cannot hold and names listed twice, never hangs on a huge schema; what it writes lints and tests', async () => {
    const dir = tempDir();
    const r = await runCli(['init', 'odd', '--timeout', '20', '--', process.execPath, join(FIXTURES, 'odd-tools.mjs')], { cwd: dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /odd_reader: huge, read\n/);
    assert.match(r.stdout, /left out \(a policy cannot name them: .*\): "a\\nb: 1", "del\?"/);
    assert.match(r.stdout, /left out \(listed twice with different definitions; .*\): "dup"/);
    assert.doesNotMatch(r.stdout, /taken as destructive/, 'only tools it left out lack hints');
    for (const args of [['lint', 'odd.mandate.yaml'], ['test', 'odd.mandate.yaml']]) {
      const x = await runCli(args, { cwd: dir });
      assert.equal(x.code, 0, `${args.join(' ')}:\n${x.stdout}${x.stderr}`);
    }
  });

  it('refuses bad invocations with the usage', async () => {
    for (const [args, message] of [
      [['init', 'memory'], /missing the server command after `--`/],
      [['init', '--', MEMORY], /expected one server NAME, got 0/],
      [['init', 'bad name', '--', MEMORY], /server name `bad name` must be/],
      [['init', 'm', '--timeout', 'soon', '--', MEMORY], /--timeout expects a number of seconds/],
      [['init', 'm', '--url', 'http://127.0.0.1:9/mcp', '--', MEMORY], /--url and a server command after `--` exclude each other/],
      [['init', 'm', '--url', 'ftp://example.com/'], /--url expects an http:\/\/ or https:\/\/ URL/],
      [['init', 'm', '--url', 'http://user:pw@127.0.0.1:9/mcp'], /--url must not hold credentials/],
      [['init', 'm', '--url', 'http://127.0.0.1:9/mcp', '--header', 'Bearer abc'], /--header expects "Name: value"/],
      [['init', 'm', '--header', 'X: y', '--', MEMORY], /--header is for an HTTP server/],
    ] as const) {
      const x = await runCli([...args], { cwd: tempDir() });
      assert.equal(x.code, 1, args.join(' '));
      assert.match(x.stderr, message);
    }
  });
});
