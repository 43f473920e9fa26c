// What the model-based tests over the built proxy share: waiting on a condition, reading the audit log a proxy
// is writing (and verifying it), reading a fixture server's call log, finding a call's decision by its nonce.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseAuditLines, verifyChain, type AuditRecord } from '../../policies';
import { sha256 } from '../../extension/proxy';

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` until it holds (a bound on tries only so that a failure says what it waited for). */
export async function until<T>(what: string, ok: () => T | undefined | false, tries = 1500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = ok();
    if (v !== undefined && v !== false) return v;
    await pause(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The audit log `file`: its records, each with the byte offset where its line ends, after the chain verifies. */
export function auditRecords(file: string): Array<AuditRecord & { end: number }> {
  // a record the proxy is writing right now (sessions write their close records after the client heard its answer)
  // may be read half written: read again until the log ends with a whole line — a log truly cut stays cut
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text === '' || text.endsWith('\n')) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  const v = verifyChain(text, sha256);
  assert.equal(v.ok, true, `the chain verifies: ${JSON.stringify(v)}`);
  const recs = parseAuditLines(text);
  const lines = text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, recs.length);
  let end = 0;
  return recs.map((rec, i) => {
    end += Buffer.byteLength(lines[i]!, 'utf8') + 1;
    return { ...rec, end };
  });
}

/** The calls a fixture server logged (one JSON line each), none before it wrote any. */
export const loggedCalls = <T>(file: string): T[] => existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T) : [];

/** A call's nonce: its argument `n`. */
export const nOf = (rec: AuditRecord): number | undefined => (rec.args as { n?: unknown } | undefined)?.n as number | undefined;
/** The decision records of the call with nonce `n`. */
export const decisionOf = (recs: AuditRecord[], n: number): AuditRecord[] => recs.filter((x) => x.kind === 'decision' && x.method === 'tools/call' && nOf(x) === n);

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a client heard of one call: its result, or the error its request ended with. */
export type Heard = { result: { isError: boolean; text: string } } | { error: string };

/**
 * Note what the client hears of call `n` (`kind` names it in a violation) into `to.heard`. A denial must already be on
 * disk when it is heard: an error result whose decision record in `to.audit` is neither a deny nor settled otherwise
 * than granted (`settlement`: the approval records that settled decision `d`) is a violation.
 */
export function hear(call: Promise<unknown>, n: number, kind: string, to: { audit: string; heard: Map<number, Heard>; violations: string[] },
  settlement: (recs: AuditRecord[], d: AuditRecord) => AuditRecord[]): Promise<Heard> {
  return call.then(
    (res): Heard => {
      const text = (res as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';
      const isError = (res as { isError?: boolean }).isError === true;
      if (isError) {
        const recs = parseAuditLines(readFileSync(to.audit, 'utf8'));
        const d = decisionOf(recs, n)[0];
        const recorded = d !== undefined && (d.decision!.effect === 'deny' || settlement(recs, d).some((x) => x.approval!.state !== 'granted'));
        if (!recorded) to.violations.push(`n=${n} (${kind}): denied before its record was written`);
      }
      return { result: { isError, text } };
    },
    (err: Error): Heard => ({ error: err.message }),
  ).then((h) => {
    to.heard.set(n, h);
    return h;
  });
}
