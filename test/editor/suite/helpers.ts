// Helpers for in-editor tests: the extension's API, workspace files, and waiting on VS Code events.

import { existsSync, watch } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { MandateApi } from '../../../extension/editor/extension';

/** Activate the extension under test and return its API. */
export async function api(): Promise<MandateApi> {
  const ext = vscode.extensions.getExtension<MandateApi>('mandate-dev.mandate');
  if (!ext) throw new Error('extension `mandate-dev.mandate` is not loaded');
  return ext.activate();
}

/** The test workspace folder (a temp copy of test/editor/fixtures). */
export function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder open');
  return f.uri.fsPath;
}

/** A uri inside the workspace. */
export function wsUri(rel: string): vscode.Uri {
  return vscode.Uri.file(join(workspaceDir(), rel));
}

/** Resolve when `pred` holds for a fired event (checked first against the current state). */
export function until<T>(event: vscode.Event<T>, pred: () => boolean, what: string, ms = 20000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) { resolve(); return; }
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    const sub = event(() => {
      if (!pred()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

/** Diagnostics of the Mandate source on a document. */
export function mandateDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'mandate');
}

/** Ask the runner for a screenshot (when MANDATE_EDITOR_SHOTS is set) and wait until it is written. */
export async function screenshot(name: string): Promise<void> {
  const dir = process.env['MANDATE_EDITOR_SHOTS'];
  if (!dir) return;
  const done = join(dir, `${name}.done`);
  const written = new Promise<void>((resolve) => {
    const w = watch(dir, () => { if (existsSync(done)) { w.close(); resolve(); } });
    if (existsSync(done)) { w.close(); resolve(); }
  });
  console.log(`[mandate-screenshot] ${name}`);
  await written;
}
