// `mandate proxy` option parsing: where the server command starts, defaults, precise errors.

import assert from 'node:assert/strict';
import { defaultServerName, parseProxyArgs, ProxyUsageError } from '../../../extension/proxy/options';

describe('proxy/options', () => {
  it('takes the server command after --, or after the last option when -- was dropped', () => {
    const a = parseProxyArgs(['--policy', 'p.yaml', '--role', 'r', '--', 'node', 's.js', '--flag'], '/w');
    assert.deepEqual(a.command, ['node', 's.js', '--flag']);
    const b = parseProxyArgs(['--policy', 'p.yaml', '--audit-fsync', '--role', 'r', 'node', 's.js', '--flag'], '/w');
    assert.deepEqual(b.command, ['node', 's.js', '--flag']);
    assert.equal(b.auditFsync, true);
    assert.equal(b.policyFile, '/w/p.yaml');
    assert.equal(b.server, 's');
  });

  it('refuses a missing policy, a missing command and a bad number', () => {
    assert.throws(() => parseProxyArgs(['--role', 'r', '--', 'x'], '/w'), ProxyUsageError);
    assert.throws(() => parseProxyArgs(['--policy', 'p'], '/w'), /missing the server command/);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--call-timeout=0', '--', 'x'], '/w'), /positive whole number, got `0`/);
  });

  it('names servers after their script or program', () => {
    assert.equal(defaultServerName(['npx', '-y', '@scope/server-memory']), 'server-memory');
    assert.equal(defaultServerName(['/usr/bin/mcp-server-filesystem', '/tmp']), 'mcp-server-filesystem');
  });

  it('takes a server reached by URL instead of a command (--upstream), named by --server or else later by the policy or host', () => {
    const a = parseProxyArgs(['--policy', 'p', '--role', 'r', '--upstream', 'http://127.0.0.1:3001/mcp'], '/w');
    assert.deepEqual([a.upstreamUrl, a.command, a.server, a.serverNamed], ['http://127.0.0.1:3001/mcp', [], '127.0.0.1-3001', false]);
    // two local servers on one host are two servers (the name keys their tool pins); a default port is no part of it
    assert.notEqual(a.server, parseProxyArgs(['--policy', 'p', '--role', 'r', '--upstream', 'http://127.0.0.1:3002/mcp'], '/w').server);
    assert.equal(parseProxyArgs(['--policy', 'p', '--role', 'r', '--upstream', 'https://mcp.example.com:443/mcp'], '/w').server, 'mcp.example.com');
    const b = parseProxyArgs(['--policy', 'p', '--role', 'r', '--server', 'docs', '--upstream=https://mcp.example.com/mcp', '--'], '/w');
    assert.deepEqual([b.upstreamUrl, b.server, b.serverNamed], ['https://mcp.example.com/mcp', 'docs', true]);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--upstream', 'http:/x'], '/w'), /^Error: --upstream expects an http:\/\/ or https:\/\/ URL with a host, got a `http:` one$/);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--upstream', 'localhost:3001/mcp?key=s3cret'], '/w'), /got a `localhost:` one$/);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--upstream', '/mcp?key=s3cret'], '/w'), /got no scheme$/);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--upstream', 'http://[bad/mcp?key=s3cret'], '/w'), /^Error: --upstream is not a URL a client can reach \(check its host and port\)$/);
    assert.throws(() => parseProxyArgs(['--policy', 'p', '--upstream', 'http://h/mcp', '--', 'node', 's.js'], '/w'), /not both/);
  });
});
