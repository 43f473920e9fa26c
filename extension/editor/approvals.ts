// Approval requests from running proxies, shown as editor prompts with the exact tool and arguments
// (Approve / Deny; no answer before the timeout → deny). Speaks the proxy's approval channel.

import { inert } from './notificationText';
import { existsSync, mkdirSync, readFileSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
// eslint-disable-next-line no-restricted-imports -- the approval channel's wire contract is the one file shared with the proxy (STYLE.md: one contract file per process boundary); no proxy code runs here
import { alive, isProxyMessage, isSessionInfo, MAX_LINE, untrustedPath, type ApprovalRequest, type ClientMessage, type SessionInfo } from '../proxy/approvalProtocol';
import { promptWindowMs } from './approvalWindow';
import type { MandateUi } from './output';

/** Where proxies publish their sessions (the proxy's own rule). */
export function runtimeDir(): string {
  return process.env['MANDATE_RUNTIME_DIR'] || join(tmpdir(), `mandate-${userInfo().uid}`);
}

/** How an approval prompt is answered; replaced in tests. */
export type Asker = (req: ApprovalRequest, timeoutMs: number) => Promise<'approve' | 'refuse'>;

/** Arguments longer than this are not shown in the notification; "Show Arguments" opens them whole. */
const INLINE_ARGS = 400;

/**
 * The default asker: a notification with Approve / Deny (and Show Arguments when they are too long to show
 * whole: a human never approves arguments cut short); timeout → refuse. Everything the agent chose is shown
 * inert (no links, no icons, no control characters).
 */
export const promptAsker: Asker = async (req, timeoutMs) => {
  const args = JSON.stringify(req.args);
  const whole = args.length <= INLINE_ARGS;
  const question = inert(`Mandate: ${req.principal} (${req.roles.join(', ')}) asks to call \`${req.tool}\` on \`${req.server}\` with ${whole ? args : `arguments of ${args.length} characters (Show Arguments)`}`);
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref());
  for (;;) {
    const choices = whole ? ['Approve', 'Deny'] : ['Approve', 'Deny', 'Show Arguments'];
    const pick = await Promise.race([vscode.window.showWarningMessage(question, { detail: inert(req.reasons.join('\n')) }, ...choices), timeout]);
    if (pick !== 'Show Arguments') return pick === 'Approve' ? 'approve' : 'refuse';
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(req.args, null, 2)}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
};

/** Connects to each running proxy session and answers its approval requests. */
export class ApprovalClient implements vscode.Disposable {
  private readonly sockets = new Map<string, Socket>();
  private watcher: FSWatcher | undefined;
  /** the last reason the runtime folder was not trusted (warned once per reason) */
  private warned: string | undefined;
  /** approvals answered, newest first (tests read it) */
  readonly answered: Array<{ id: string; tool: string; verdict: 'approve' | 'refuse' }> = [];
  asker: Asker = promptAsker;

  constructor(private readonly ui: MandateUi) {}

  /** Start watching the runtime folder for sessions. */
  start(): void {
    const dir = runtimeDir();
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.watcher = watch(dir, () => this.scan(dir));
    } catch (err) {
      this.ui.log.warn(`approvals: cannot watch \`${dir}\`: ${(err as Error).message}`);
      return;
    }
    this.scan(dir);
  }

  private scan(dir: string): void {
    const untrusted = untrustedPath(dir, 'dir');
    if (untrusted !== undefined) {
      if (untrusted !== this.warned) this.ui.log.warn(`approvals: not reading sessions: ${untrusted}`);
      this.warned = untrusted;
      return;
    }
    let names: string[] = [];
    try { names = readdirSync(dir).filter((n) => n.endsWith('.json')); } catch { return; }
    for (const name of names) {
      const session = name.slice(0, -5);
      if (this.sockets.has(session)) continue;
      let info: unknown;
      if (untrustedPath(join(dir, name), 'file') !== undefined) continue;
      try { info = JSON.parse(readFileSync(join(dir, name), 'utf8')); } catch { continue; }
      if (!isSessionInfo(info) || !existsSync(info.socket) || !alive(info.pid)) continue;
      this.attach(info);
    }
  }

  private attach(info: SessionInfo): void {
    const sock = connect(info.socket);
    this.sockets.set(info.session, sock);
    const send = (m: ClientMessage): void => { sock.write(`${JSON.stringify(m)}\n`); };
    let buf = '';
    sock.on('connect', () => send({ type: 'hello', secret: info.secret, who: 'editor' }));
    sock.setEncoding('utf8'); // decoded by the stream: a character split between two chunks stays whole
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_LINE * 4) { sock.destroy(); return; }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line, send);
      }
    });
    sock.on('error', () => { /* the session ended; close handles cleanup */ });
    sock.on('close', () => { this.sockets.delete(info.session); });
  }

  private onLine(line: string, send: (m: ClientMessage) => void): void {
    let msg: unknown;
    try { msg = JSON.parse(line); } catch { return; }
    if (!isProxyMessage(msg)) { this.ui.log.warn('approvals: ignored a malformed message from a proxy'); return; }
    const ask = (req: ApprovalRequest): void => { void this.ask(req, send); };
    if (msg.type === 'pending') msg.approvals.forEach(ask);
    else if (msg.type === 'asked') ask(msg.approval);
    else if (msg.type === 'settled' && msg.state !== 'granted') this.ui.noteDenial(`approval ${msg.id} ${msg.state}`);
    else if (msg.type === 'error') this.ui.log.warn(`approvals: ${msg.message}`);
    else if (msg.type === 'welcome') this.ui.log.info(`approvals: connected to session ${msg.session} (${msg.server})`);
  }

  private async ask(req: ApprovalRequest, send: (m: ClientMessage) => void): Promise<void> {
    if (this.answered.some((a) => a.id === req.id)) return;
    const seconds = vscode.workspace.getConfiguration('mandate').get<number>('guard.approvalTimeoutSeconds', 60);
    const window = promptWindowMs(req.expires_at, seconds, Date.now());
    if (window === undefined) {
      this.ui.log.info(`approval ${req.id}: expired before it could be asked (${req.expires_at})`);
      return;
    }
    const verdict = await this.asker(req, window);
    this.answered.unshift({ id: req.id, tool: req.tool, verdict });
    this.ui.log.info(`approval ${req.id}: ${verdict} ${req.tool} ${JSON.stringify(req.args)}`);
    send({ type: 'answer', id: req.id, verdict, by: `${userInfo().username} (editor)` });
  }

  dispose(): void {
    this.watcher?.close();
    this.sockets.forEach((s) => s.destroy());
  }
}
