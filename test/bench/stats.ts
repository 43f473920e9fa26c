// Small statistics shared by the benches.

/** The median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * A percentile bootstrap interval for median(num) / median(den) over paired rounds (round i of each
 * resampled together, so load shared by a round stays paired): `level` 0.9 gives the 5th–95th percentiles.
 * Deterministic (fixed-seed generator), so two runs over the same rounds print the same interval.
 */
export function bootstrapRatio(num: readonly number[], den: readonly number[], level = 0.9, iterations = 4000): [number, number] {
  if (num.length !== den.length || num.length === 0) throw new Error('bootstrapRatio needs paired, non-empty rounds');
  if (!(level > 0 && level < 1) || !Number.isInteger(iterations) || iterations < 1) throw new Error('bootstrapRatio needs 0 < level < 1 and iterations ≥ 1');
  let s = 0x9e3779b9;
  const random = (): number => { // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = num.length;
  const ratios: number[] = [];
  const a: number[] = new Array<number>(n);
  const b: number[] = new Array<number>(n);
  for (let k = 0; k < iterations; k++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      a[i] = num[j]!;
      b[i] = den[j]!;
    }
    // a resample whose baseline median is not above zero bounds nothing: it counts as an unbounded ratio
    const base = median(b);
    ratios.push(base > 0 ? median(a) / base : Infinity);
  }
  ratios.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return [ratios[Math.floor(tail * (iterations - 1))]!, ratios[Math.ceil((1 - tail) * (iterations - 1))]!];
}
