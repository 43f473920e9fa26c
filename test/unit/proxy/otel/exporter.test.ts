// The OTLP/HTTP audit exporter against a local OTLP receiver (a plain node http server decoding the JSON payload).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtlpAuditExporter } from '../../../../extension/proxy/otel';
import { sha256 } from '../../../../extension/proxy/hash';
import { approval, decision, writeLog } from '../../harness/review/fixture';
import { runCli } from '../../../support/cli';

interface OtlpLogs {
  resourceLogs: Array<{
    resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> };
    scopeLogs: Array<{ scope: { name: string }; logRecords: Array<{ timeUnixNano: string; severityText: string; eventName?: string; body: { stringValue: string }; attributes: Array<{ key: string; value: Record<string, unknown> }> }> }>;
  }>;
}

async function receiver() {
  const posts: Array<{ url: string; headers: IncomingHttpHeaders; body: OtlpLogs }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpLogs });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, posts, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs` };
}

function attr(list: Array<{ key: string; value: Record<string, unknown> }>, key: string): unknown {
  const v = list.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if ('arrayValue' in v) return ((v['arrayValue'] as { values?: Array<{ stringValue: string }> }).values ?? []).map((x) => x.stringValue);
  return v['stringValue'] ?? v['intValue'] ?? v['boolValue'] ?? v['doubleValue'];
}

describe('extension/proxy/otel exporter', () => {
  it('sends every audit record as an OTLP log record, with the line as body and the chain in attributes', async () => {
    const r = await receiver();
    try {
      const log = writeLog([
        decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs']),
        decision('2026-11-01T10:00:01Z', '2', 'mallory', 'reader', 'delete_file', 'deny', ['no-deletes']),
        approval('2026-11-01T10:00:02Z', '3', 'writer', 'write_file', 'refused'),
      ]);
      const ex = new OtlpAuditExporter({ url: r.url, sha256, headers: { 'x-tenant': 'acme' }, resource: { 'deployment.environment': 'test' } });
      const lines = log.text.split('\n').filter(Boolean);
      log.records.forEach((rec, i) => ex.export(rec, lines[i]!));
      await ex.shutdown();
      const records = r.posts.flatMap((p) => p.body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords)));
      assert.equal(records.length, 3);
      assert.equal(r.posts[0]!.url, '/v1/logs');
      assert.equal(r.posts[0]!.headers['x-tenant'], 'acme');
      assert.match(String(r.posts[0]!.headers['content-type']), /application\/json/);
      const res = r.posts[0]!.body.resourceLogs[0]!.resource.attributes;
      assert.equal(attr(res, 'service.name'), 'mandate-proxy');
      assert.equal(attr(res, 'deployment.environment'), 'test');
      assert.equal(r.posts[0]!.body.resourceLogs[0]!.scopeLogs[0]!.scope.name, 'mandate.audit');
      const [allow, deny, refused] = records;
      assert.equal(allow!.body.stringValue, lines[0]);
      assert.equal(attr(allow!.attributes, 'mandate.record_hash'), sha256(lines[0]!));
      assert.equal(attr(deny!.attributes, 'mandate.prev'), sha256(lines[0]!));
      assert.equal(String(attr(deny!.attributes, 'mandate.seq')), '1');
      assert.equal(attr(deny!.attributes, 'mandate.effect'), 'deny');
      assert.equal(attr(deny!.attributes, 'mandate.principal'), 'mallory');
      assert.deepEqual(attr(deny!.attributes, 'mandate.rules'), ['no-deletes']);
      assert.deepEqual([allow!.severityText, deny!.severityText, refused!.severityText], ['INFO', 'WARN', 'WARN']);
      assert.equal(allow!.timeUnixNano, String(Date.parse('2026-11-01T10:00:00Z') * 1e6));
    } finally {
      r.server.close();
    }
  });

  it('marks records from a log that fails verification (they were sent looking like good ones)', async () => {
    const r = await receiver();
    try {
      const log = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs'])]);
      const line = log.text.split('\n')[0]!;
      const ex = new OtlpAuditExporter({ url: r.url, sha256 });
      ex.export(log.records[0]!, line, true);
      ex.export(log.records[0]!, line);
      await ex.shutdown();
      const [broken, good] = r.posts.flatMap((p) => p.body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((x) => x.logRecords)));
      assert.equal(attr(broken!.attributes, 'mandate.chain'), 'broken');
      assert.equal(attr(good!.attributes, 'mandate.chain'), undefined);
    } finally {
      r.server.close();
    }
  });

  it('counts the records a collector did not take (a refused connection or a 500 read as "exported", exit 0)', async () => {
    const log = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs'])]);
    const line = log.text.split('\n')[0]!;
    const failing = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(500).end('no')); });
    failing.listen(0, '127.0.0.1');
    await once(failing, 'listening');
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    try {
      for (const url of [`http://127.0.0.1:${(failing.address() as AddressInfo).port}/v1/logs`, `http://127.0.0.1:${closedPort}/v1/logs`]) {
        const ex = new OtlpAuditExporter({ url, sha256 });
        ex.export(log.records[0]!, line);
        await ex.shutdown();
        assert.equal(ex.failed().records, 1, url);
        assert.ok(ex.failed().error, url);
        const file = writeLog([decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', 'read_file', 'allow', ['read-docs'])]).path;
        const r = await runCli(['audit', 'export', '--otlp', url, file]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`could not send 1 of 1 records? to ${url.replace(/[.]/g, '\\.')}: .+`));
        assert.doesNotMatch(r.stderr, /^exported/m);
      }
    } finally {
      failing.close();
    }
  });

  it('refuses an endpoint that is not http or https', () => {
    assert.throws(() => new OtlpAuditExporter({ url: 'file:///tmp/x' }), /must be http:\/\/ or https:\/\//);
    assert.throws(() => new OtlpAuditExporter({ url: 'nope' }), /is not a URL/);
  });
});
