// The editor's bridge to the simulator (harness): runs invariants for the Test Explorer and the
// Simulate Agent report.

import type * as vscode from 'vscode';
import type { ParsedPolicy } from '../../policies';
import type { RunSummary } from './testing';

/** Run the invariants of a policy; items are the TestItems (or undefined when not requested). */
export async function runInvariants(_doc: vscode.TextDocument, _parsed: ParsedPolicy, items: ReadonlyArray<vscode.TestItem | undefined>,
  run: vscode.TestRun, s: RunSummary, _token?: vscode.CancellationToken): Promise<void> {
  for (const item of items) {
    if (!item) continue;
    run.skipped(item);
    s.skipped++;
  }
}
