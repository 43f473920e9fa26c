// The hand-written JSON-RPC message check: each case is pinned to an expected verdict, and that verdict
// is also what the MCP SDK's zod `JSONRPCMessageSchema` (which it replaces) says about the same value.

import assert from 'node:assert/strict';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { isJSONRPCMessage } from '../../../extension/proxy/jsonrpc';

const ACCEPTED = [
  '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{"a":[1]}}}',
  '{"id":-0,"params":{},"method":"x","jsonrpc":"2.0"}',
  '{"jsonrpc":"2.0","id":9007199254740991,"method":"x"}',
  '{"jsonrpc":"2.0","id":-9007199254740991,"method":"x"}',
  '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  '{"jsonrpc":"2.0","method":"n","params":{"_meta":{"progressToken":"t","io.modelcontextprotocol/related-task":{"taskId":"a","z":1},"other":[1]}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"progressToken":7}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"__proto__":{"a":1}}}',
  '{"jsonrpc":"2.0","id":1,"result":{}}',
  '{"jsonrpc":"2.0","id":"r","result":{"_meta":{},"content":[]}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"m"}}',
  '{"jsonrpc":"2.0","error":{"code":1,"message":"no id","data":null,"extra":true}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","data":[1,2]}}',
];

const REJECTED = [
  // not an object, or a batch
  'null', '1', '"x"', '[]', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
  // jsonrpc member
  '{"id":1,"method":"x"}', '{"jsonrpc":"1.0","id":1,"method":"x"}', '{"jsonrpc":2,"id":1,"method":"x"}',
  // ids
  '{"jsonrpc":"2.0","id":null,"method":"x"}', '{"jsonrpc":"2.0","id":1.5,"method":"x"}',
  '{"jsonrpc":"2.0","id":9007199254740993,"method":"x"}', '{"jsonrpc":"2.0","id":1e300,"method":"x"}',
  '{"jsonrpc":"2.0","id":true,"method":"x"}', '{"jsonrpc":"2.0","id":[1],"method":"x"}', '{"jsonrpc":"2.0","id":{},"method":"x"}',
  '{"jsonrpc":"2.0","id":null,"result":{}}', '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}',
  '{"jsonrpc":"2.0","result":{}}',
  // method and params
  '{"jsonrpc":"2.0","id":7,"method":5}', '{"jsonrpc":"2.0","method":null}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":[]}', '{"jsonrpc":"2.0","id":1,"method":"x","params":null}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":"p"}',
  '{"jsonrpc":"2.0","method":"x","params":{"_meta":[]}}', '{"jsonrpc":"2.0","method":"x","params":{"_meta":null}}',
  '{"jsonrpc":"2.0","method":"x","params":{"_meta":{"progressToken":1.5}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"progressToken":null}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"io.modelcontextprotocol/related-task":null}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":1}}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"io.modelcontextprotocol/related-task":[]}}}',
  // results and errors
  '{"jsonrpc":"2.0","id":1,"result":[]}', '{"jsonrpc":"2.0","id":1,"result":null}', '{"jsonrpc":"2.0","id":1,"result":3}',
  '{"jsonrpc":"2.0","id":1,"result":{"_meta":[1]}}', '{"jsonrpc":"2.0","id":1,"result":{"_meta":{"progressToken":false}}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}', '{"jsonrpc":"2.0","id":1,"error":{"code":"1","message":"m"}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":1e400,"message":"m"}}', '{"jsonrpc":"2.0","id":1,"error":{"message":"m"}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":1}}', '{"jsonrpc":"2.0","id":1,"error":[]}', '{"jsonrpc":"2.0","id":1,"error":null}',
  // members of two kinds, or none, or unknown ones (strict)
  '{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}', '{"jsonrpc":"2.0","id":1,"method":"x","result":{}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","error":{"code":1,"message":"m"}}', '{"jsonrpc":"2.0","id":1,"params":{},"result":{}}',
  '{"jsonrpc":"2.0","params":{},"error":{"code":1,"message":"m"}}', '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"2.0"}',
  '{"jsonrpc":"2.0","id":1,"method":"x","extra":1}', '{"jsonrpc":"2.0","method":"x","extra":1}',
  '{"jsonrpc":"2.0","id":1,"result":{},"extra":1}', '{"jsonrpc":"2.0","error":{"code":1,"message":"m"},"extra":1}',
  '{"jsonrpc":"2.0","id":1,"method":"x","__proto__":{"a":1}}', '{"__proto__":{"jsonrpc":"2.0","id":1,"method":"x"}}',
];

const zod = (v: unknown): boolean => JSONRPCMessageSchema.safeParse(v).success;

describe('proxy/jsonrpc', () => {
  it('accepts requests, notifications, results and errors of the MCP shapes (as the SDK schema does)', () => {
    for (const text of ACCEPTED) {
      const v: unknown = JSON.parse(text);
      assert.equal(isJSONRPCMessage(v), true, text);
      assert.equal(zod(v), true, `the SDK schema agrees: ${text}`);
    }
  });

  it('rejects everything the SDK schema rejects: batches, bad ids, bad params or _meta, mixed kinds, unknown members', () => {
    for (const text of REJECTED) {
      const v: unknown = JSON.parse(text);
      assert.equal(isJSONRPCMessage(v), false, text);
      assert.equal(zod(v), false, `the SDK schema agrees: ${text}`);
    }
  });

  it('treats a member whose value is undefined as the SDK schema does: absent when optional, invalid when required', () => {
    const cases: Array<[unknown, boolean]> = [
      [{ jsonrpc: '2.0', id: 1, method: 'x', params: undefined }, true],
      [{ jsonrpc: '2.0', id: undefined, error: { code: 1, message: 'm' } }, true],
      [{ jsonrpc: '2.0', id: undefined, method: 'x' }, false],
      [{ jsonrpc: '2.0', id: 1, result: undefined }, false],
      [{ jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: undefined } }, true],
      [{ jsonrpc: '2.0', id: 1, result: {}, error: undefined }, false],
    ];
    for (const [v, ok] of cases) {
      assert.equal(isJSONRPCMessage(v), ok, JSON.stringify(v));
      assert.equal(zod(v), ok, `the SDK schema agrees: ${JSON.stringify(v)}`);
    }
  });
});
