// Text that came from a server or a client, made safe to show (proxy logs, CLI output, editor notifications):
// control characters (C0, DEL, C1) and the bidirectional overrides that reorder what a reviewer reads are
// written as \uXXXX escapes.
// INVARIANT: nothing a server controls (tool names, schema keys, descriptions) reaches a terminal raw — an
// ESC sequence could hide or rewrite the lines around it (`pins list` is what a reviewer trusts).

// eslint-disable-next-line no-control-regex -- these characters are exactly what must not reach a terminal
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `s` with terminal control characters and bidi overrides escaped (tab and newline kept, unless `oneLine`). */
export function printable(s: string, oneLine = true): string {
  const escaped = s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return oneLine ? escaped.replace(/\n/g, '\\n').replace(/\t/g, '\\t') : escaped;
}
