// The approval broker: calls waiting for a human, each single-use and expiring. Answers come from
// the client (elicitation), the editor or a terminal (the approval channel); the first one wins.

import type { ApprovalRequest } from './approvalProtocol';

export type ApprovalState = 'granted' | 'refused' | 'timeout' | 'error';
export type ApprovalVia = 'elicitation' | 'editor' | 'terminal' | 'channel' | 'none';

export interface ApprovalOutcome {
  state: ApprovalState;
  by?: string;
  via: ApprovalVia;
  at: string;
  message?: string;
}

interface Waiting {
  req: ApprovalRequest;
  resolve: (o: ApprovalOutcome) => void;
  timer: NodeJS.Timeout;
}

export type BrokerEvent =
  | { type: 'asked'; approval: ApprovalRequest }
  | { type: 'settled'; id: string; state: ApprovalState }
  /** an answer that came after the approval was settled (timed out, answered, cancelled): not applied, but recorded */
  | { type: 'late'; approval: ApprovalRequest; settled: ApprovalState; verdict: 'approve' | 'refuse'; via: ApprovalVia; by?: string; at: string };

/** How many settled approvals are remembered, so a late answer to one can be recorded against its call. */
const REMEMBERED = 1000;

/** Pending approvals of one session. */
export class ApprovalBroker {
  private next = 1;
  private waiting = new Map<string, Waiting>();
  /** recently settled approvals, oldest first (bounded) */
  private settled = new Map<string, { req: ApprovalRequest; state: ApprovalState }>();
  private listeners = new Set<(e: BrokerEvent) => void>();

  constructor(readonly session: string, readonly timeoutMs: number, private readonly now: () => number) {}

  /** A fresh approval id for this session. */
  newId(): string {
    return `${this.session}-${this.next++}`;
  }

  /** The approvals waiting now. */
  pending(): ApprovalRequest[] {
    return [...this.waiting.values()].map((w) => w.req);
  }

  /** Listen to asks and settlements; returns an unsubscribe function. */
  subscribe(fn: (e: BrokerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Wait for a human's answer to `req`, or time out (→ `timeout`, which denies). */
  ask(req: ApprovalRequest): Promise<ApprovalOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(req.id, { state: 'timeout', via: 'none', at: this.iso() }), this.timeoutMs);
      timer.unref();
      this.waiting.set(req.id, { req, resolve, timer });
      this.emit({ type: 'asked', approval: req });
    });
  }

  /**
   * Answer a pending approval. INVARIANT: single use — the first answer settles it and removes it;
   * a second answer, or one for an unknown or expired id, is refused.
   */
  answer(id: string, verdict: 'approve' | 'refuse', via: ApprovalVia, by?: string): { ok: boolean; message: string } {
    const at = this.iso();
    const ok = this.settle(id, { state: verdict === 'approve' ? 'granted' : 'refused', via, at, ...(by !== undefined ? { by } : {}) });
    if (ok) return { ok, message: `${id} ${verdict === 'approve' ? 'approved' : 'refused'}` };
    const done = this.settled.get(id);
    if (done) {
      // INVARIANT: a late answer changes nothing, but it is evidence (someone believed they approved): recorded
      this.emit({ type: 'late', approval: done.req, settled: done.state, verdict, via, ...(by !== undefined ? { by } : {}), at });
      return { ok, message: `approval \`${id}\` was already settled (${done.state}): your answer was recorded but not applied` };
    }
    return { ok, message: `no pending approval \`${id}\` (unknown, already answered or expired)` };
  }

  /** Settle one pending approval as an error without a human's answer (the client cancelled the call). */
  cancel(id: string, message: string): boolean {
    return this.settle(id, { state: 'error', via: 'none', at: this.iso(), message });
  }

  /** Settle every pending approval as an error (session ending, upstream gone). */
  failAll(message: string): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, { state: 'error', via: 'none', at: this.iso(), message });
  }

  private settle(id: string, outcome: ApprovalOutcome): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    this.settled.set(id, { req: w.req, state: outcome.state });
    if (this.settled.size > REMEMBERED) this.settled.delete(this.settled.keys().next().value!);
    w.resolve(outcome);
    this.emit({ type: 'settled', id, state: outcome.state });
    return true;
  }

  private emit(e: BrokerEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}
