// Mutual TLS on the listener: with --tls-client-ca, a client needs a certificate from that CA AND a
// valid bearer token. Certificates are made with openssl in a temp dir at test time.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

const openssl = (cwd: string, ...args: string[]): void => void execFileSync('openssl', args, { cwd, stdio: 'ignore' });

/** A CA, a server cert for 127.0.0.1, a client cert from the CA and one from a rogue CA. */
function makeCerts(dir: string): void {
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const ca of ['ca', 'rogue']) openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', `/CN=${ca}`);
  const leaf = (name: string, ca: string, ext?: string): void => {
    openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(ext ? ['-extfile', ext] : []));
  };
  leaf('server', 'ca', 'san.ext');
  leaf('client', 'ca');
  leaf('intruder', 'rogue');
}

type Answer = { status: number; body: string } | { error: string };

function post(url: string, dir: string, client: string | undefined, token: string | undefined): Promise<Answer> {
  const u = new URL(url);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'tls', version: '0' } } });
  return new Promise((resolve) => {
    const req = request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', ca: readFileSync(join(dir, 'ca.crt')),
      ...(client ? { cert: readFileSync(join(dir, `${client}.crt`)), key: readFileSync(join(dir, `${client}.key`)) } : {}),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

describe('HTTP proxy e2e: TLS with required client certificates', function () {
  this.timeout(60_000);
  let dir: string;
  let proxy: Proc & { url: string };
  let key: Awaited<ReturnType<typeof newSigningKey>>;

  before(async () => {
    dir = tempDir('mandate-http-tls-');
    makeCerts(dir);
    key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles:\n  reader: { description: Reads. }\ngrants:\n  - { agent_role: reader, tool: echo }\nagents:\n  copilot-research: { roles: [reader] }\naudit: { path: audit.jsonl }\n');
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--tls-cert', 'server.crt', '--tls-key', 'server.key', '--tls-client-ca', 'ca.crt',
      '--', join(ROOT, 'node_modules', '.bin', 'mcp-server-everything'), 'stdio'], dir);
  });
  after(async () => {
    await stop(proxy);
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on https and names an https resource', () => {
    assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('accepts a client certificate from the CA together with a valid token', async () => {
    const t = await issueToken({ key, sub: 'copilot-research', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 60, now: Date.now() });
    const r = await post(proxy.url, dir, 'client', t.token);
    assert.ok('status' in r, 'error' in r ? r.error : '');
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /"protocolVersion"/);
  });

  it('still requires the token when the certificate is good', async () => {
    const r = await post(proxy.url, dir, 'client', undefined);
    assert.ok('status' in r);
    assert.equal(r.status, 401);
  });

  it('refuses a connection without a client certificate, or with one from another CA', async () => {
    const t = await issueToken({ key, sub: 'copilot-research', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 60, now: Date.now() });
    for (const client of [undefined, 'intruder']) {
      const r = await post(proxy.url, dir, client, t.token);
      assert.ok('error' in r, `no HTTP answer without a trusted client certificate (${client ?? 'none'}): ${JSON.stringify(r)}`);
    }
  });
});
