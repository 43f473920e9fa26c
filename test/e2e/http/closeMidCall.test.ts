// A session that ends with a call in flight — the client ends it (DELETE), or the proxy stops — records the call's
// outcome (failed closed), and a proxy that stops answers the client, as the stdio proxy does when it stops: the
// server ran the call, so the log must say how it ended. The HTTP session ended without either: its decision record
// stayed the last word on a call the server had run (after a DELETE an outcome came only at --call-timeout, as a
// timeout), and the client of a stopping proxy was never answered.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuditRecord } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, spawnUntil, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

const RECORDER = join(ROOT, 'test/fixtures/servers/http-recorder.mjs');

describe('HTTP proxy e2e: a session that ends with a call in flight', function () {
  this.timeout(60_000);

  for (const end of ['client DELETE', 'proxy stop'] as const) {
    it(`records the call's outcome (${end})`, async () => {
      const dir = tempDir('mandate-http-close-');
      const calls = join(dir, 'calls.jsonl');
      const server: Proc & { match: RegExpMatchArray } = await spawnUntil(process.execPath, [RECORDER, '0', calls], {}, /listening on port (\d+)/);
      const key = await newSigningKey('ES256', Date.now());
      const kp = keyPaths(join(dir, 'keys'));
      writeKeySets(kp, [key]);
      emptyRevocations(kp.revocations);
      writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [slow] }]\nagents: { bot: { roles: [reader] } }\n');
      // the call timeout is far beyond the test's: an outcome must not wait for it
      const proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--audit', 'audit.jsonl', '--call-timeout', '600000', '--upstream', `http://127.0.0.1:${server.match[1]}/mcp`], dir);
      const t = await issueToken({ key, sub: 'bot', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
      const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } });
      const client = new Client({ name: 'close-e2e', version: '1' });
      await client.connect(transport);
      const records = (): AuditRecord[] => readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
      try {
        const heard = client.callTool({ name: 'slow', arguments: { sse: false } }, undefined, { timeout: 600_000 }).then(() => 'answered', (e: Error) => e.message);
        while (!existsSync(calls) || !readFileSync(calls, 'utf8').includes('"slow"')) await new Promise((r) => setTimeout(r, 20));
        if (end === 'client DELETE') {
          // (the client ended the session itself: its transport is closed before any answer could go out)
          await transport.terminateSession();
          for (let i = 0; i < 100 && !records().some((r) => r.kind === 'session' && (r.detail as { event?: string }).event === 'close'); i++) await new Promise((r) => setTimeout(r, 20));
        } else {
          assert.equal(await stop(proxy), 0);
          // the answer was sent before the proxy exited; one the client never got would leave the call waiting, so
          // after a grace period the client is closed, which ends the call with "Connection closed"
          await Promise.race([heard, new Promise((r) => setTimeout(r, 5000))]);
          await client.close();
          const answer = await heard;
          assert.match(answer, /session closed \(proxy shutting down\).*failed closed/, 'the client heard the call fail closed');
        }
        const recs = records();
        const decision = recs.find((r) => r.kind === 'decision' && r.tool === 'slow')!;
        assert.equal(decision.decision!.effect, 'allow');
        const outcomes = recs.filter((r) => r.kind === 'outcome' && r.request_id === decision.request_id && r.session === decision.session);
        assert.equal(outcomes.length, 1, `one outcome record for the call the server ran:\n${recs.map((r) => JSON.stringify(r)).join('\n')}`);
        assert.equal(outcomes[0]!.result!.is_error, true);
        assert.match(outcomes[0]!.error!.message, /session/);
        const closeAt = recs.findIndex((r) => r.kind === 'session' && (r.detail as { event?: string }).event === 'close');
        assert.ok(recs.indexOf(outcomes[0]!) < closeAt, 'the outcome comes before the session\'s close record');
      } finally {
        await client.close().catch(() => undefined);
        await stop(proxy);
        await stop(server);
      }
    });
  }
});
