// Policy `pattern` checks: Mandate's linear-time matcher against V8's backtracking RegExp, measured in the
// same run — on the shipped examples' patterns and typical values (what linearity costs), and on a ReDoS
// pattern as the crafted value grows (what it buys: V8 doubles per character, the matcher grows linearly).
// Prints figures; never asserts on time.

import { compileLinear, MATCH_STEP_LIMIT } from '../../policies/linearRegex';
import { median } from './stats';

/** Median nanoseconds per call of `fn` over `rounds` rounds of `n` calls. */
function nsPerCall(n: number, rounds: number, fn: () => unknown): number {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    out.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(out);
}

const TYPICAL: Array<[string, string]> = [
  ['^(api|worker|billing)-[a-z0-9]{1,12}$', 'billing-eu1west'],
  ['^v\\d+\\.\\d+\\.\\d+$', 'v12.4.103'],
  ['^acme-(bv|gmbh)$', 'acme-gmbh'],
  ['^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$', 'DE44500105175407324931'],
  ['@example\\.com$', 'someone.with.a.long.name@example.com'],
];

export async function run(log: (line: string) => void): Promise<void> {
  log('typical patterns on typical values (ns per test, median of 15 rounds):');
  for (const [pattern, value] of TYPICAL) {
    const lin = compileLinear(pattern);
    const v8 = new RegExp(pattern, 'u');
    if (lin.test(value) !== v8.test(value)) throw new Error(`disagreement on ${pattern}`);
    const a = nsPerCall(20000, 15, () => lin.test(value));
    const b = nsPerCall(20000, 15, () => v8.test(value));
    log(`  ${pattern.padEnd(40)} linear ${a.toFixed(0).padStart(6)} ns   V8 ${b.toFixed(0).padStart(5)} ns   ratio ${(a / b).toFixed(1)}×   (${lin.size} states)`);
  }
  const redos = '^(a|a)+$';
  log(`ReDoS pattern ${redos} on 'a'×n + '!' (ms per test):`);
  const lin = compileLinear(redos);
  const v8 = new RegExp(redos, 'u');
  for (const n of [16, 20, 22, 24, 1000, 16384]) {
    const value = `${'a'.repeat(n)}!`;
    const a = nsPerCall(n > 1000 ? 5 : 50, 3, () => lin.test(value)) / 1e6;
    const b = n <= 24 ? nsPerCall(1, 3, () => v8.test(value)) / 1e6 : undefined;
    log(`  n=${String(n).padEnd(6)} linear ${a.toFixed(3).padStart(9)} ms   V8 ${b === undefined ? '(not run: ~2^n steps)'.padStart(9) : `${b.toFixed(3).padStart(9)} ms`}`);
  }
  // the worst case known for MATCH_STEP_LIMIT: ~180 distinct classes under a star, on 16 KiB of distinct
  // CJK code points (every atom a fresh V8 decision); the test stops at the budget (RegexBudgetExceeded)
  const classes: string[] = [];
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (const a of chars) classes.push(`[^${a}]`);
  for (const a of chars) for (const b of chars) if (classes.length < 180) classes.push(`[^${a}${b}]`);
  const worst = compileLinear(`(?:${classes.join('|')})*$x`);
  let cjk = '';
  for (let i = 0; i < 16384; i++) cjk += String.fromCodePoint(0x4e00 + (i % 8000));
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    try { worst.test(cjk); } catch { /* the budget: expected */ }
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const heavy = compileLinear(`(?:${Array(300).fill('.').join('|')})*x`);
  const heavyTimes: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    try { heavy.test('a'.repeat(16384)); } catch { /* the budget: expected */ }
    heavyTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  log(`300 alternatives under a star on 16 KiB, stopped at the budget: ${median(heavyTimes).toFixed(0)} ms (median of 3)`);
  log(`worst known case, stopped at MATCH_STEP_LIMIT (${MATCH_STEP_LIMIT} steps): ${median(times).toFixed(0)} ms (median of 3; ${worst.size} states, ${worst.steps} steps)`);
  await Promise.resolve();
}
