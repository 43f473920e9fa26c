// Differential property: the proxy's hand-written JSON-RPC check and the MCP SDK's zod
// `JSONRPCMessageSchema` (what the framing applied before) agree on every generated near-message.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { isJSONRPCMessage } from '../../../extension/proxy/jsonrpc';
import { fcParams } from '../../support/seed';

/** Values that sit on the edges of each member's type. */
const scalar = fc.constantFrom<unknown>(null, true, 0, -0, 1, -7, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e300, '', '2.0', '1.0', 'x', 'ping', [], [1], {});
const idArb = fc.oneof(scalar, fc.integer(), fc.string({ maxLength: 3 }));
const meta = fc.record({
  progressToken: fc.oneof(fc.string({ maxLength: 2 }), idArb),
  'io.modelcontextprotocol/related-task': fc.oneof(scalar, fc.record({ taskId: fc.oneof(fc.string({ maxLength: 2 }), idArb), z: scalar }, { requiredKeys: [] })),
  other: scalar,
}, { requiredKeys: [] });
const open = fc.oneof({ arbitrary: fc.record({ _meta: fc.oneof(meta, scalar), name: scalar, arguments: fc.oneof(scalar, meta), ['__proto__']: meta }, { requiredKeys: [] }), weight: 6 }, { arbitrary: scalar, weight: 1 });
const error = fc.oneof({ arbitrary: fc.record({ code: fc.oneof(fc.integer(), idArb), message: fc.oneof(fc.string({ maxLength: 2 }), idArb), data: scalar, extra: scalar }, { requiredKeys: ['code', 'message'] }), weight: 4 }, { arbitrary: scalar, weight: 1 });
const member = {
  jsonrpc: fc.oneof({ arbitrary: fc.constant('2.0'), weight: 8 }, { arbitrary: scalar, weight: 1 }),
  id: fc.oneof({ arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), weight: 4 }, { arbitrary: idArb, weight: 1 }),
  method: fc.oneof({ arbitrary: fc.constantFrom('tools/call', 'notifications/initialized'), weight: 8 }, { arbitrary: scalar, weight: 1 }),
  params: open,
  result: open,
  error,
  extra: scalar,
  ['__proto__']: scalar,
};
type Member = keyof typeof member;
const KINDS: Member[][] = [['jsonrpc', 'id', 'method', 'params'], ['jsonrpc', 'method', 'params'], ['jsonrpc', 'id', 'result'], ['jsonrpc', 'id', 'error']];
/** A message of one kind, some of its members dropped, now and then a member of another kind added. */
const message = fc.tuple(fc.constantFrom(...KINDS), fc.array(fc.constantFrom(...(Object.keys(member) as Member[])), { maxLength: 2 }), fc.array(fc.nat(5), { maxLength: 1 }))
  .chain(([kind, added, dropped]) => {
    const keys = [...kind.filter((_k, i) => !dropped.includes(i)), ...added];
    return fc.tuple(...keys.map((k) => member[k])).map((values) => {
      const out: Record<string, unknown> = {};
      keys.forEach((k, i) => Object.defineProperty(out, k, { value: values[i], enumerable: true, writable: true, configurable: true }));
      return out;
    });
  });
/** As JSON.parse gives them: own `__proto__` members, no `undefined`. */
const parsed = fc.oneof({ arbitrary: message, weight: 9 }, { arbitrary: fc.array(message, { maxLength: 2 }), weight: 1 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe('property: the JSON-RPC message check', () => {
  it('accepts exactly the messages the MCP SDK schema accepts', () => {
    let accepted = 0;
    fc.assert(fc.property(parsed, (v) => {
      const zod = JSONRPCMessageSchema.safeParse(v).success;
      assert.equal(isJSONRPCMessage(v), zod, JSON.stringify(v));
      if (zod) accepted++;
    }), fcParams(20000));
    assert.ok(accepted > 500, `the generator reaches valid messages too (${accepted})`);
  });
});
