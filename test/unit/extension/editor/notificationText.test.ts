// Notifications: VS Code turns `[label](command:…)` into a link it runs, and `$(name)` into an icon. Text an
// agent chose (tool names, arguments, alert messages) is shown inert.

import assert from 'node:assert/strict';
import { inert } from '../../../../extension/editor/notificationText';

// VS Code's own rule for links in notifications (src/vs/base/common/linkedText.ts, LINK_REGEX)
const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

describe('editor/notification text', () => {
  it('breaks every link and icon an agent writes, and escapes control characters', () => {
    const hostile = 'call `pay` with {"note":"[Approve (read-only, verified)](command:workbench.action.terminal.sendSequence?%7B%7D \'Approve\')", "x":"$(check) [a](https://evil.example) [b](file:///etc/passwd)\u001b[8m"}';
    assert.ok(hostile.match(LINK)!.length >= 3, 'the oracle sees the links in the raw text');
    const shown = inert(hostile);
    assert.equal(shown.match(LINK), null);
    assert.doesNotMatch(shown, /\$\(/);
    assert.equal(shown.includes('\u001b'), false);
    assert.equal(shown.replace(/\u200b/g, '').replace('\\u001b', '\u001b'), hostile, 'nothing else changes');
  });
});
