// Restarts: when a lost upstream is started again (the one policy of the stdio proxy and of each HTTP session).

import assert from 'node:assert/strict';
import { HTTP_RETRIES, Restarts } from '../../../extension/proxy/upstream';

describe('proxy: Restarts (when a lost upstream is started again)', () => {
  /** a clock and a scheduler the test moves by hand: `tick(ms)` runs what falls due */
  const make = (http: boolean, maxRestarts = 3) => {
    const clock = { now: 0 };
    let due: Array<{ at: number; f: () => void }> = [];
    const schedule = (f: () => void, ms: number): (() => void) => {
      const entry = { at: clock.now + ms, f };
      due.push(entry);
      return () => { due = due.filter((d) => d !== entry); };
    };
    const tick = (ms: number): void => {
      clock.now += ms;
      const now = due.filter((d) => d.at <= clock.now);
      due = due.filter((d) => d.at > clock.now);
      for (const d of now) d.f();
    };
    const seen: string[] = [];
    const r = new Restarts({
      http, maxRestarts, run: () => seen.push('run'), refused: (why) => seen.push(`refused: ${why}`), unreachable: (n) => seen.push(`unreachable after ${n}`),
    }, () => clock.now, schedule);
    return { r, seen, clock, tick };
  };

  it('restarts a process after 100 ms doubling, at most maxRestarts times in any minute, then refuses', () => {
    const { r, seen, clock, tick } = make(false, 2);
    r.later();
    tick(99);
    assert.deepEqual(seen, []);
    tick(1);
    assert.deepEqual(seen, ['run']);
    r.later();
    tick(199);
    assert.deepEqual(seen, ['run']);
    tick(1);
    assert.equal(r.count, 2);
    r.later();
    assert.deepEqual(seen, ['run', 'run', 'refused: 2 restarts within a minute']);
    tick(60_000 - clock.now); // the first restart is a minute old: one restart back, after the second back-off
    r.later();
    tick(199);
    assert.deepEqual(seen.slice(3), []);
    tick(1);
    assert.deepEqual(seen.slice(3), ['run']);
  });

  it('never restarts with maxRestarts 0, and says so', () => {
    const { r, seen, tick } = make(false, 0);
    r.later();
    tick(10_000);
    assert.deepEqual(seen, ['refused: restarts are off (--max-restarts 0)']);
  });

  it('tries an HTTP server HTTP_RETRIES times in a row, then waits for a call; a call resets the count', () => {
    const { r, seen, tick } = make(true);
    for (let i = 0; i < HTTP_RETRIES; i++) {
      r.later();
      tick(5000);
    }
    assert.equal(seen.filter((s) => s === 'run').length, HTTP_RETRIES);
    r.later();
    assert.equal(seen.at(-1), `unreachable after ${HTTP_RETRIES}`);
    r.wanted(false);
    tick(100);
    assert.equal(seen.at(-1), 'run');
  });

  it('a call starts no try while one is scheduled, initializing, or the server is up; a success resets the count', () => {
    const { r, seen, tick } = make(true);
    r.later();
    r.wanted(false); // scheduled already
    tick(100);
    assert.deepEqual(seen, ['run']);
    r.begun();
    r.wanted(false); // initializing
    tick(10_000);
    assert.deepEqual(seen, ['run']);
    r.settled(true);
    r.wanted(true); // up
    tick(10_000);
    assert.deepEqual(seen, ['run']);
    r.later(); // lost again: the count started over, so the first back-off again
    tick(100);
    assert.deepEqual(seen, ['run', 'run']);
  });

  it('runs nothing once stopped, even a try already scheduled', () => {
    const { r, seen, tick } = make(false);
    r.later();
    r.stop();
    tick(10_000);
    r.later();
    r.wanted(false);
    tick(10_000);
    assert.deepEqual(seen, []);
  });
});
