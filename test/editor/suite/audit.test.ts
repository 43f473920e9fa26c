// The audit commands on a log path that cannot be read: an error the user sees, never a command that throws.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { VerifyResult } from '../../../policies';
import { api } from './helpers';

describe('audit commands on an unreadable log', () => {
  // a folder where the log should be: reading it fails (EISDIR) as a log without read permission does (EACCES)
  const path = (): string => mkdtempSync(join(tmpdir(), 'mandate-audit-dir-'));

  it('Verify Audit Log reports it and returns nothing', async () => {
    await api();
    const r = await vscode.commands.executeCommand<VerifyResult | undefined>('mandate.verifyAuditLog', { path: path(), quiet: true });
    assert.equal(r, undefined);
  });

  it('the timeline still renders, with no rows', async () => {
    const t = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; rendered: Promise<number> }>('mandate.showAuditTimeline', { path: path() });
    try {
      const rows = await Promise.race([t.rendered, new Promise<string>((r) => setTimeout(() => r('never rendered'), 15000))]);
      assert.equal(rows, 0);
    } finally {
      t.panel.dispose();
    }
  });
});
