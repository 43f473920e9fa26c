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

  it('tells onBroken when an answer\'s event stream breaks off (a POST\'s), not when it ends, is cut for size or is cancelled', async () => {
    const enc = new TextEncoder();
    const breaking = (): Response => new Response(new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(enc.encode(event(10))); },
      pull(c) { c.error(new Error('terminated')); },
    }), { headers: { 'content-type': 'text/event-stream' } });
    const heard: string[] = [];
    const bound = { maxBytes: 1000, onBroken: (w: string) => heard.push(w) };
    await assert.rejects(bounded(breaking(), bound, true).text(), /terminated/);
    assert.deepEqual(heard, ["the server's answer broke off (terminated)"]);
    // a standalone (GET) stream is the SDK's to resume
    await assert.rejects(bounded(breaking(), bound).text(), /terminated/);
    assert.equal(heard.length, 1);
    assert.equal((await bounded(response([event(10), event(10)], 'text/event-stream'), bound, true).text()).length, 2 * event(10).length);
    await assert.rejects(bounded(response([event(2000)], 'text/event-stream'), bound, true).text(), /over 1000 bytes/);
    await bounded(breaking(), bound, true).body!.cancel();
    assert.equal(heard.length, 1);
  });
});
