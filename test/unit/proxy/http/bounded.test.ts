// An HTTP upstream's answers are cut off past --max-message-bytes: a JSON body as a whole, an event stream per event.

import assert from 'node:assert/strict';
import { bounded } from '../../../../extension/proxy/http/upstream';

function response(parts: string[], type: string): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({ start(c) { for (const p of parts) c.enqueue(enc.encode(p)); c.close(); } });
  return new Response(body, { headers: { 'content-type': type } });
}

const event = (n: number, nl = '\n'): string => `data: ${'x'.repeat(n)}${nl}${nl}`;

describe('proxy/http bounded answers', () => {
  it('passes an event stream whose events are each under the bound, however long the stream (LF, CRLF and CR line ends)', async () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const parts = Array.from({ length: 20 }, () => event(900, nl));
      const text = await bounded(response(parts, 'text/event-stream'), { maxBytes: 1000 }).text();
      assert.equal(text.length, parts.join('').length, JSON.stringify(nl));
    }
  });

  it('cuts an event stream at the first event over the bound, even one split across chunks, and says why', async () => {
    const heard: string[] = [];
    const r = bounded(response([event(100), 'data: ', 'x'.repeat(600), 'x'.repeat(600), '\n\n'], 'text/event-stream'), { maxBytes: 1000, onOversize: (w) => heard.push(w) });
    await assert.rejects(r.text(), /over 1000 bytes/);
    assert.equal(heard.length, 1);
    // a CRLF pair is one line end, not a blank line: the event is still one event
    await assert.rejects(bounded(response([`data: ${'x'.repeat(600)}\r\n`, `data: ${'x'.repeat(600)}\r\n\r\n`], 'text/event-stream'), { maxBytes: 1000 }).text(), /over 1000 bytes/);
  });

  it('bounds a JSON answer as a whole', async () => {
    assert.equal((await bounded(response(['{"a":', '"', 'x'.repeat(900), '"}'], 'application/json'), { maxBytes: 1000 }).text()).length, 908);
    await assert.rejects(bounded(response(['{"a":"', 'x'.repeat(995), '"}'], 'application/json'), { maxBytes: 1000 }).text(), /over 1000 bytes/);
  });
});
