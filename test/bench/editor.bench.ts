// Editor figures: what one keystroke costs (lint of the example policy, against a bare yaml parse),
// a quick fix's edit, the extension's activation time from the last in-editor run, and the .vsix size.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { fixEdit } from '../../extension/editor/fixEdit';
import { yamlCursor } from '../../extension/editor/schemaAt';
import { lintText } from '../../policies/lint';

const root = join(__dirname, '../..');

function perCall(n: number, fn: () => void): number {
  fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

/** Print the editor's figures. */
export async function run(log: (line: string) => void): Promise<void> {
  const text = readFileSync(join(root, 'policies/examples/finance.mandate.yaml'), 'utf8');
  const base = perCall(200, () => parseDocument(text));
  const lint = perCall(200, () => lintText(text, 'finance.mandate.yaml'));
  log(`keystroke: lintText ${lint.toFixed(3)} ms vs bare yaml parse ${base.toFixed(3)} ms (x${(lint / base).toFixed(1)}); debounced 250 ms`);
  const fix = perCall(200, () => fixEdit(text, { title: 'approve', op: 'add', pointer: '/grants/1/requires_approval', value: true }, false));
  log(`quick fix edit (yaml Document API + minimal diff): ${fix.toFixed(3)} ms (x${(fix / base).toFixed(1)} a bare parse)`);
  const lines = text.split('\n');
  const cursor = perCall(2000, () => yamlCursor(lines, 20, 4));
  log(`completion cursor path: ${(cursor * 1000).toFixed(1)} µs (x${(cursor / base).toFixed(3)} a bare parse)`);
  const act = join(root, '.tmp/editor-tests/activation.json');
  if (existsSync(act)) {
    const a = JSON.parse(readFileSync(act, 'utf8')) as { ms: number; at: string };
    log(`activation (last in-editor run, ${a.at}): ${a.ms.toFixed(1)} ms inside VS Code 1.139`);
  } else {
    log('activation: no in-editor run recorded yet (npm run test:editor records it)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'mandate-vsix-'));
  try {
    const out = join(dir, 'mandate.vsix');
    const r = spawnSync(join(root, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) { log(`vsix: vsce package failed: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`); return; }
    const ext = statSync(join(root, 'dist/extension.js')).size;
    log(`vsix: ${(statSync(out).size / 1024).toFixed(0)} KiB packed (dist/extension.js alone ${(ext / 1024).toFixed(0)} KiB unpacked)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
