// Editor alerts: follows the audit logs of the guarded servers the extension offers (alertFollow.ts, which
// also follows edits of their policies' `alerts:`) and shows the alerts as notifications.

import { inert } from './notificationText';
import * as vscode from 'vscode';
import type { Alert } from '../../harness';
import { LogFollowers } from './alertFollow';
import type { GuardedServer } from './mcpProvider';
import type { MandateUi } from './output';

/** Follows guarded servers' audit logs; fires `onDidAlert` and notifies for each alert. */
export class AuditAlerts implements vscode.Disposable {
  private readonly fired = new vscode.EventEmitter<Alert>();
  readonly onDidAlert = this.fired.event;
  private readonly logs: LogFollowers;

  constructor(ui: MandateUi) {
    this.logs = new LogFollowers({
      alert: (alert) => {
        ui.log.warn(`alert ${alert.kind}: ${alert.message}`);
        this.fired.fire(alert);
        const show = alert.severity === 'critical' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
        void show(inert(`Mandate alert: ${alert.message}`)); // alert messages carry tool names an agent chose
      },
      denial: (what) => ui.noteDenial(what),
      warn: (message) => ui.log.warn(message),
      info: (message) => ui.log.info(message),
    });
  }

  /** Follow the audit log of each server (once per log), from its current end. */
  follow(servers: Iterable<GuardedServer>): void {
    this.logs.follow(servers);
  }

  dispose(): void {
    this.logs.dispose();
    this.fired.dispose();
  }
}
