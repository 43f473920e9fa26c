// Alert delivery: a real loopback HTTP receiver gets the JSON; non-loopback URLs are refused up front.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { AlertConfigError, alertHooks, deliver, followAlerts, loopbackTarget, sinksFor, webhookSink, type Alert } from '../../../../extension/proxy/alerts';
import { AuditLog } from '../../../../extension/proxy/auditLog';
import { tempDir } from '../../../support/tmp';
import { join } from 'node:path';
import { sha256 } from '../../../../extension/proxy/hash';
import { decision, fixturePolicy } from '../../harness/review/fixture';

const ALERT: Alert = { rule: 'break_glass', kind: 'break_glass', severity: 'critical', message: 'break-glass role `oncall` used', time: '2026-11-01T10:00:00Z', seq: [3], role: 'oncall' };

function receiver(): Promise<{ server: Server; url: string; bodies: Array<{ req: IncomingMessage; body: string }> }> {
  const bodies: Array<{ req: IncomingMessage; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { bodies.push({ req, body }); res.end('ok'); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?x=1` })));
}

describe('extension/proxy/alerts sinks', () => {
  it('POSTs the alert as JSON to a loopback webhook', async () => {
    const r = await receiver();
    try {
      const errors: string[] = [];
      await webhookSink(r.url, (m) => errors.push(m))(ALERT);
      assert.deepEqual(errors, []);
      assert.equal(r.bodies.length, 1);
      assert.equal(r.bodies[0]!.req.method, 'POST');
      assert.equal(r.bodies[0]!.req.url, '/hook?x=1');
      assert.equal(r.bodies[0]!.req.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(r.bodies[0]!.body), { source: 'mandate', alert: ALERT });
    } finally {
      r.server.close();
    }
  });

  it('refuses webhooks that are not plain http on loopback', () => {
    for (const url of ['http://example.com/x', 'https://127.0.0.1/x', 'http://10.0.0.1/x', 'http://127.0.0.1.evil.com/', 'http://user:pw@127.0.0.1/', 'file:///etc/passwd', 'not a url']) {
      assert.throws(() => loopbackTarget(url), AlertConfigError, url);
    }
    assert.deepEqual(loopbackTarget('http://localhost:9/a'), { host: '127.0.0.1', port: 9, path: '/a' });
    assert.equal(loopbackTarget('http://[::1]:9/').host, '::1');
  });

  it('reports a webhook that cannot be reached, without throwing', async () => {
    const r = await receiver();
    const url = r.url;
    await new Promise((resolve) => r.server.close(resolve));
    const errors: string[] = [];
    await webhookSink(url, (m) => errors.push(m))(ALERT);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /alert webhook `http:\/\/127\.0\.0\.1:\d+\/hook\?x=1` failed: .*ECONNREFUSED/);
  });

  it('writes one line per alert to stderr unless turned off', async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => { text += c.toString(); });
    await deliver(sinksFor({}, err), ALERT);
    assert.equal(text, 'mandate alert critical break_glass: break-glass role `oncall` used (2026-11-01T10:00:00Z, seq 3)\n');
    assert.equal(sinksFor({ stderr: false }, err).length, 0);
  });
});

describe('extension/proxy/alerts attach', () => {
  it('evaluates each appended record and delivers in the background; nothing without an alerts section', async () => {
    const policy = { ...fixturePolicy().parsed.policy, alerts: { rules: [{ on: 'break_glass' as const }] } };
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => { text += c.toString(); });
    const hooks = alertHooks(policy, { stderr: err, sha256 })!;
    hooks.onRecord({ v: 1, seq: 0, prev: '', ...decision('2026-11-01T10:00:00Z', '1', 'dana', 'oncall', 'restart_service', 'allow', ['grants[3]']) });
    await hooks.close();
    assert.match(text, /^mandate alert critical break_glass: break-glass role `oncall` used/);
    assert.equal(alertHooks(fixturePolicy().parsed.policy, { stderr: err, sha256 }), undefined);
  });

  it('follows policy reloads on a real log: rules added fire, a reload whose alerts cannot be used keeps those in force and says why, rules removed stop', async () => {
    const plain = fixturePolicy().parsed.policy;
    const glass = { ...plain, alerts: { rules: [{ on: 'break_glass' as const }] } };
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => { text += c.toString(); });
    const said: string[] = [];
    const audit = AuditLog.open(join(tempDir('mandate-alerts-'), 'a.jsonl'));
    const alerts = followAlerts(audit, plain, { stderr: err, sha256 }, (l) => said.push(l));
    const use = (id: string): void => audit.append(decision('2026-11-01T10:00:00Z', id, 'dana', 'oncall', 'restart_service', 'allow', ['grants[3]']));
    use('1');
    alerts.reload(glass);
    use('2');
    alerts.reload({ ...glass, alerts: { rules: [{ on: 'tool_drift' as const }], webhook: 'http://example.com/hook' } });
    assert.match(said.join('\n'), /^mandate proxy: alerts: alert webhook `http:\/\/example\.com\/hook` must be http:\/\/ on loopback.*; the alert rules in force are kept$/);
    use('3');
    alerts.reload(plain);
    use('4');
    await alerts.close();
    audit.close();
    assert.deepEqual(text.trim().split('\n').map((l) => /seq (\d+)/.exec(l)?.[1]), ['1', '2'], text);
  });
});
