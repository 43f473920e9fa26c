// Durations as flags and policies write them (`30s`, `15m`, `1h`, `2d`): no jose here, so option parsing stays light.

/** `15m`, `1h`, `30s`, `2d` or plain seconds → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,9})(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new TypeError(`\`${text}\` is not a duration (e.g. 30s, 15m, 1h)`);
  const n = Number(m[1]);
  return n * ({ s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd']);
}
