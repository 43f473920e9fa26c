// RFC 3339 date-times as the schema admits them (`t`/`z` in any case, a whitespace separator, offsets with
// or without a colon or minutes, leap seconds) → ms since epoch; NaN when the text is not one.

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt\s](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d)(?::?(\d\d))?)$/;

/**
 * Parse an RFC 3339 date-time to whole milliseconds. A leap second `:60` is the instant after `:59.999`; as
 * in the schema's `date-time` check (ajv-formats), it exists only in the last minute of a UTC day, and an
 * offset's hours and minutes stay within 23 and 59.
 *
 * Digits below the millisecond are dropped (`down`, a clock reading) or round up to the next millisecond
 * (`up`, a grant's `not_before` / `expires`): with a whole-millisecond clock, `now >= t` and `now < t` hold
 * exactly when they hold against t rounded up, so `not_before: …00.0001Z` does not open at `…00.000`.
 */
export function parseDateTime(text: string, round: 'down' | 'up' = 'down'): number {
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return Number.NaN;
  const ms = frac ? Number(frac.slice(1, 4).padEnd(3, '0')) + (round === 'up' && /[1-9]/.test(frac.slice(4)) ? 1 : 0) : 0;
  const local = utcTime(Number(y), month - 1, day, Number(h), Number(mi), Number(s), ms);
  // INVARIANT: a day that does not exist in its month (2026-02-30) is refused, not rolled over.
  if (new Date(utcTime(Number(y), month - 1, day, 0, 0, 0, 0)).getUTCDate() !== day) return Number.NaN;
  if (Number(oh ?? '0') > 23 || Number(om ?? '0') > 59) return Number.NaN;
  const offset = zone === undefined || /^[Zz]$/.test(zone) ? 0 : (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om ?? '0')) * 60_000;
  const utc = local - offset;
  if (Number(s) === 60) {
    const minute = new Date(utc - 1000 - ms);
    if (minute.getUTCHours() !== 23 || minute.getUTCMinutes() !== 59) return Number.NaN;
  }
  return utc;
}

/** `Date.UTC`, but years 0–99 are those years (Date.UTC reads them as 1900–1999); overflow rolls over alike. */
function utcTime(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number): number {
  const t = new Date(0);
  t.setUTCFullYear(year, month, day);
  return t.setUTCHours(h, mi, s, ms);
}
