// Text in a VS Code notification: VS Code turns `[label](command:…|https:…|file:…)` in a notification into a
// link it opens (commands included), and `$(name)` into an icon. INVARIANT: text an agent or a server chose
// (tool names, arguments, alert messages) is shown inert — those sequences are broken by a zero-width space,
// which changes nothing a reader sees — and without control characters.

import { printable } from '../../policies';

/** `text` safe to place in a notification's message or detail. */
export function inert(text: string): string {
  return printable(text, false).replace(/\]\(/g, ']\u200b(').replace(/\$\(/g, '$\u200b(');
}
