// HTTP answers that never reach the MCP transport: 401/403 with WWW-Authenticate (RFC 6750), the
// protected-resource metadata of RFC 9728, and plain JSON errors.

import type { ServerResponse } from 'node:http';

/** Where a resource's RFC 9728 metadata lives: the well-known prefix inserted before its path. */
export function metadataUrl(resource: URL): string {
  const path = resource.pathname === '/' ? '' : resource.pathname;
  return `${resource.origin}/.well-known/oauth-protected-resource${path}`;
}

/** The RFC 9728 protected-resource metadata document for this proxy. */
export function resourceMetadata(resource: URL, issuer: string, algorithms: readonly string[]): Record<string, unknown> {
  return {
    resource: resource.href,
    ...(URL.canParse(issuer) && /^https?:/.test(issuer) ? { authorization_servers: [issuer] } : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'mandate proxy',
    // not a standard member: what a client's token must be signed with (the verifier pins these)
    mandate_token_signing_algs: [...algorithms],
  };
}

// a header value holds printable ASCII only (RFC 6750's error_description): a subject such as `mal→lory` made
// Node's writeHead throw, and the 403 became a 500; the body keeps the text whole
const quote = (s: string): string => s.replace(/["\\\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);

/** A bearer challenge. `error` is omitted when the request carried no token (RFC 6750 §3.1). */
export function challenge(resource: URL, error?: { code: 'invalid_token' | 'invalid_request' | 'insufficient_scope'; description: string }): string {
  const parts = ['Bearer realm="mandate"', `resource_metadata="${metadataUrl(resource)}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${quote(error.description)}"`);
  return parts.join(', ');
}

/** End a response with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A JSON-RPC-shaped HTTP error body, as the MCP SDK's transport writes them. */
export function rpcErrorBody(message: string, code = -32000): Record<string, unknown> {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
