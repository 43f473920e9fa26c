// The JSON-RPC 2.0 message shape check the stdio framing applies to every client line: accepts exactly
// what the MCP SDK's `JSONRPCMessageSchema` (zod) accepts, without building a copy of the message.
// test/property/proxy/jsonrpc.test.ts compares the two on generated messages.

import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array). */
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request id or progress token: a string or a safe integer (zod's `z.number().int()`). */
function isIdLike(v: unknown): boolean {
  return typeof v === 'string' || Number.isSafeInteger(v);
}

/** `_meta` of params and results: an open object whose two known keys, when present, are typed. */
function isMeta(v: unknown): boolean {
  if (!isObj(v)) return false;
  const token = v['progressToken'];
  if (token !== undefined && !isIdLike(token)) return false;
  const task = v[RELATED_TASK];
  return task === undefined || (isObj(task) && typeof task['taskId'] === 'string');
}

/** An open object (params, result) whose `_meta`, when present, is a valid meta. */
function isOpenWithMeta(v: unknown): boolean {
  if (!isObj(v)) return false;
  const meta = v['_meta'];
  return meta === undefined || isMeta(meta);
}

function isError(v: unknown): boolean {
  return isObj(v) && Number.isSafeInteger(v['code']) && typeof v['message'] === 'string';
}

/**
 * True when `v` is a JSON-RPC 2.0 request, notification, result or error response as MCP defines them:
 * `jsonrpc: "2.0"`, no member beyond the kind's own (`id`, `method`, `params`, `result`, `error`).
 */
export function isJSONRPCMessage(v: unknown): v is JSONRPCMessage {
  if (!isObj(v) || v['jsonrpc'] !== '2.0') return false;
  let id = false;
  let method = false;
  let params = false;
  let result = false;
  let error = false;
  for (const k of Object.keys(v)) {
    switch (k) {
      case 'jsonrpc': break;
      case 'id': id = true; break;
      case 'method': method = true; break;
      case 'params': params = true; break;
      case 'result': result = true; break;
      case 'error': error = true; break;
      default: return false;
    }
  }
  // a member present with the value `undefined` (never from JSON.parse) counts as given, as in zod:
  // allowed where the member is optional (params, an error's id), a failure where it is required
  if (method) {
    if (result || error || typeof v['method'] !== 'string') return false;
    if (id && !isIdLike(v['id'])) return false;
    return !params || v['params'] === undefined || isOpenWithMeta(v['params']);
  }
  if (params) return false;
  if (result) return !error && id && isIdLike(v['id']) && isOpenWithMeta(v['result']);
  if (error) return (!id || v['id'] === undefined || isIdLike(v['id'])) && isError(v['error']);
  return false;
}
