// How long the editor's approval prompt stays up: the setting's time, cut to what is left of the approval.

/**
 * Milliseconds to show the prompt for an approval expiring at `expiresAt` (ISO), at most `seconds`; undefined when
 * it has already expired — a prompt then would ask a human to decide what the proxy has refused (it showed the full
 * time, as `0 || seconds`). An expiry that cannot be read leaves the setting's time.
 */
export function promptWindowMs(expiresAt: string, seconds: number, now: number): number | undefined {
  const until = Date.parse(expiresAt);
  if (!Number.isFinite(until)) return seconds * 1000;
  const left = until - now;
  return left > 0 ? Math.min(seconds * 1000, left) : undefined;
}
