// What the CLI prints often holds text an agent or a server chose (tool names, arguments and reasons in audit
// records, pins): its control characters reach the terminal escaped, so no line can hide or rewrite others.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { println } from '../../../../extension/cli/io';

describe('cli/println', () => {
  it('escapes terminal control characters and bidi overrides, keeps newlines and tabs', () => {
    let out = '';
    const sink = new Writable({ write(chunk: Buffer, _e, done) { out += chunk.toString('utf8'); done(); } });
    println(sink, '#7 decision DENY evil\u001b[2K\rtool\u202e\tlast\nnext');
    assert.equal(out, '#7 decision DENY evil\\u001b[2K\\u000dtool\\u202e\tlast\nnext\n');
  });
});
