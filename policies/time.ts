// RFC 3339 date-times as the schema admits them (`t`/`z` in any case, a whitespace separator, offsets with
// or without a colon or minutes, leap seconds) → ms since epoch; NaN when the text is not one.

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt\s](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d)(?::?(\d\d))?)$/;

/** Parse an RFC 3339 date-time. A leap second `:60` is the instant after `:59.999`. */
export function parseDateTime(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return Number.NaN;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const local = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), ms);
  // INVARIANT: a day that does not exist in its month (2026-02-30) is refused, not rolled over.
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return Number.NaN;
  if (zone === undefined || /^[Zz]$/.test(zone)) return local;
  const offset = (Number(oh) * 60 + Number(om ?? '0')) * 60_000;
  return sign === '+' ? local - offset : local + offset;
}
