// The extension's output channel and status bar item: guarded servers and recent denials.

import * as vscode from 'vscode';

/** Where the extension logs and shows its state. */
export class MandateUi implements vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('Mandate', { log: true });
  private readonly status = vscode.window.createStatusBarItem('mandate.status', vscode.StatusBarAlignment.Left, 10);
  private guarded = new Set<string>();
  private denials: string[] = [];

  constructor() {
    if (process.env['MANDATE_LOG_TO_CONSOLE'] === '1') mirrorToConsole(this.log);
    this.status.name = 'Mandate';
    this.status.command = 'mandate.showAuditTimeline';
    this.render();
    this.status.show();
  }

  /** Record which servers are currently offered guarded. */
  setGuarded(labels: readonly string[]): void {
    this.guarded = new Set(labels);
    this.render();
  }

  /** Note a denial (kept: the last 20). */
  noteDenial(what: string): void {
    this.denials = [what, ...this.denials].slice(0, 20);
    this.render();
  }

  /** Current status text (for tests and screenshots). */
  get text(): string {
    return this.status.text;
  }

  private render(): void {
    const n = this.guarded.size;
    this.status.text = `$(shield) Mandate: ${n} guarded${this.denials.length ? ` · ${this.denials.length} denied` : ''}`;
    const lines = [`guarded servers: ${n ? [...this.guarded].join(', ') : 'none'}`, ...this.denials.slice(0, 5).map((d) => `denied: ${d}`)];
    this.status.tooltip = lines.join('\n');
  }

  dispose(): void {
    this.status.dispose();
    this.log.dispose();
  }
}

/** Test hosts read the log from the extension host's console (set by test/editor/run.mjs). */
function mirrorToConsole(log: vscode.LogOutputChannel): void {
  for (const level of ['info', 'warn', 'error'] as const) {
    const original = log[level].bind(log);
    log[level] = (message: string | Error, ...args: unknown[]): void => {
      console.log(`[mandate:${level}] ${String(message)}`);
      original(message as string, ...args);
    };
  }
}
