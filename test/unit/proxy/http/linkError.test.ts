// What an upstream link's error says: its first line, and for a request fetch could not deliver, why (its cause).

import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { linkError } from '../../../../extension/proxy/http/upstream';

describe('proxy/http linkError', () => {
  it('names why fetch failed (a record and the log said only "fetch failed" for a server that was down)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await fetch(`http://127.0.0.1:${port}/mcp`).then(() => undefined, (e: unknown) => e);
    assert.equal(linkError(err), `fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('keeps the first line only, bounded, and does not repeat a cause the message already holds', () => {
    assert.equal(linkError(new Error('Error POSTing to endpoint (HTTP 500): <html>\n<body>…')), 'Error POSTing to endpoint (HTTP 500): <html>');
    assert.equal(linkError(new Error('x'.repeat(400))), `${'x'.repeat(300)}… (400 characters)`);
    assert.equal(linkError(new Error('connect ECONNREFUSED a', { cause: new Error('connect ECONNREFUSED a') })), 'connect ECONNREFUSED a');
    assert.equal(linkError('plain'), 'plain');
  });
});
