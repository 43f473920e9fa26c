// Run the built CLI (dist/cli.js) as a real process and collect its output.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
export const ROOT = join(__dirname, '..', '..');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Spawn `node dist/cli.js …args` in `cwd` (default: the repo root); `timeout` ms kills it (SIGKILL; code null). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.timeout ? { timeout: options.timeout, killSignal: 'SIGKILL' as const } : {}),
    });
    child.stdin.end(options.input ?? '');
    collect(child).then(resolve, reject);
  });
}

/** A spawned process's exit code and whole output, once it has closed. */
export function collect(child: ChildProcessByStdio<Writable | null, Readable, Readable>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
