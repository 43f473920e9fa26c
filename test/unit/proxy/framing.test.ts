// Framing: split lines across chunks, report bad frames with their id, resynchronise after oversize.

import assert from 'node:assert/strict';
import { deeperThan, FrameReader, LineWriter, MAX_DEPTH, valueDeeperThan, type FrameError, type JSONRPCMessage } from '../../../extension/proxy/framing';

function reader(max = 1000): { r: FrameReader; msgs: JSONRPCMessage[]; errs: FrameError[] } {
  const msgs: JSONRPCMessage[] = [];
  const errs: FrameError[] = [];
  return { r: new FrameReader((m) => msgs.push(m), (e) => errs.push(e), max), msgs, errs };
}

describe('proxy/framing', () => {
  it('joins a message split over chunks and ignores blank lines and CRLF', () => {
    const { r, msgs, errs } = reader();
    r.push(Buffer.from('{"jsonrpc":"2.0","id":1,"met'));
    r.push(Buffer.from('hod":"ping"}\r\n\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n'));
    assert.equal(msgs.length, 2);
    assert.deepEqual(errs, []);
  });

  it('reports invalid JSON-RPC with the id it could read, and batches as invalid', () => {
    const { r, errs } = reader();
    r.push(Buffer.from('{"jsonrpc":"2.0","id":7,"method":5}\n[{"jsonrpc":"2.0","id":1,"method":"ping"}]\nnot json\n'));
    assert.deepEqual(errs.map((e) => [e.kind, e.id]), [['invalid', 7], ['invalid', undefined], ['parse', undefined]]);
    assert.match(errs[1]!.message, /batches/);
  });

  it('refuses a message nested deeper than MAX_DEPTH, with its id, and reads the next one', () => {
    const { r, msgs, errs } = reader(1 << 20);
    const nest = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    // the message and its params are two of the levels
    r.push(Buffer.from(`{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":${nest(MAX_DEPTH - 2)}}}\n`));
    r.push(Buffer.from(`{"jsonrpc":"2.0","id":4,"method":"ping","params":{"x":"${'['.repeat(2000)}"}}\n`));
    assert.equal(msgs.length, 2, 'exactly MAX_DEPTH levels pass; brackets in strings do not count');
    r.push(Buffer.from(`{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":${nest(MAX_DEPTH - 1)}}}\n{"jsonrpc":"2.0","id":6,"method":"ping"}\n`));
    assert.deepEqual(errs.map((e) => [e.kind, e.id, e.message]), [['invalid', 5, `nested deeper than ${MAX_DEPTH} levels`]]);
    assert.equal(msgs.length, 3);
  });

  it('measures depth in text (skipping strings and escapes) and in values alike', () => {
    for (const [text, depth] of [['1', 0], ['[]', 1], ['{"a":[{}]}', 3], ['["[[[\\"[["]', 1], ['{"a":"\\\\"}', 1], [`${'['.repeat(9)}${']'.repeat(9)}`, 9]] as const) {
      assert.equal(deeperThan(text, depth), false, text);
      assert.equal(deeperThan(text, depth - 1), depth > 0, text);
      const value: unknown = JSON.parse(text);
      assert.equal(valueDeeperThan(value, depth), false, text);
      assert.equal(valueDeeperThan(value, depth - 1), depth > 0, text);
    }
  });

  it('skips an oversized message to its end of line and reads the next one', () => {
    const { r, msgs, errs } = reader(100);
    r.push(Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(80)}`));
    r.push(Buffer.from(`${'b'.repeat(200)}"}}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n`));
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.kind, 'oversize');
    assert.deepEqual(msgs.map((m) => (m as { id: number }).id), [2]);
  });

  it('coalesces writes made in one tick into one, in order', async () => {
    const writes: string[] = [];
    const w = new LineWriter((t) => writes.push(t));
    w.send({ jsonrpc: '2.0', id: 1, result: {} });
    w.sendRaw('{"jsonrpc":"2.0","id":2,"result":{}}');
    assert.equal(writes.length, 0);
    await new Promise((r) => process.nextTick(r));
    assert.deepEqual(writes, ['{"jsonrpc":"2.0","id":1,"result":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n']);
  });
});
