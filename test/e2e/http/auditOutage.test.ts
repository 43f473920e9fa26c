// The HTTP proxy when its audit log cannot be written for a while (a full disk): it keeps running, denies calls
// meanwhile, and takes the log back once it can, with a record of the gap — policy reloads included.

import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auditGaps, parseAuditLines, verifyChain } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { RETRY_MS } from '../../../extension/proxy/auditLog';
import { sha256 } from '../../../extension/proxy/hash';
import { ROOT } from './cliProcess';
import { httpProxy, stop, type Proc } from './support';
import { fill, onSmallDisk } from '../../support/smallDisk';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const ECHO = join(ROOT, 'test', 'fixtures', 'servers', 'echo-exact-args.mjs');

const POLICY = `version: 1
roles:
  tester: { description: Drives the echo server. }
grants:
  - { agent_role: tester, tools: [echo] }
agents:
  bot: { roles: [tester] }
`;

/** Resolves once `proxy`'s output matches `re` (or rejects after `ms`). */
function outputMatch(proxy: Proc, re: RegExp, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${re} in the proxy's output within ${ms} ms:\n${proxy.output()}`)), ms);
    const check = (): void => {
      if (re.test(proxy.output())) {
        clearTimeout(timer);
        resolve();
      } else proxy.child.stderr!.once('data', check);
    };
    check();
  });
}

describe('HTTP proxy e2e: an audit log that cannot be written for a while', function () {
  this.timeout(60_000);

  it('keeps running when a policy edit cannot be recorded (it used to exit on the uncaught write error), and records the gap once it can', async function () {
    let proxy: (Proc & { url: string }) | undefined;
    await onSmallDisk(this, async (mnt, dir) => {
      const key = await newSigningKey('ES256', Date.now());
      const kp = keyPaths(join(dir, 'keys'));
      writeKeySets(kp, [key]);
      emptyRevocations(kp.revocations);
      const policy = join(dir, 'p.mandate.yaml');
      writeFileSync(policy, POLICY);
      const audit = join(mnt, 'audit.jsonl');
      proxy = await httpProxy(['--policy', policy, '--jwks', kp.publicJwks, '--revocations', kp.revocations, '--audit', audit, '--server', 'echo', '--', process.execPath, ECHO], dir);
      const token = (await issueToken({ key, sub: 'bot', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() })).token;
      const filler = fill(mnt);
      // an edit refused with long errors: its record needs more room than the log's last page has left
      writeFileSync(policy, `${POLICY}${Array.from({ length: 25 }, (_, i) => `k${i}${'x'.repeat(300)}: 1`).join('\n')}\n`);
      await outputMatch(proxy, /policy edit refused/);
      assert.match(proxy.output(), /cannot write audit log `[^`]*`: ENOSPC/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(proxy.child.exitCode, null, `the proxy is still running:\n${proxy.output()}`);
      unlinkSync(filler);
      await new Promise((r) => setTimeout(r, RETRY_MS + 100));
      const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
      const client = new Client({ name: 'e2e-outage', version: '1' });
      await client.connect(transport);
      const r = (await client.callTool({ name: 'echo', arguments: { message: 'back' } })) as TextResult;
      assert.match(r.content[0]?.text ?? '', /back/, JSON.stringify(r));
      await transport.terminateSession();
      await client.close();
      assert.equal(await stop(proxy), 0);
      const text = readFileSync(audit, 'utf8');
      assert.equal(verifyChain(text, sha256).ok, true);
      const gaps = auditGaps(parseAuditLines(text));
      assert.equal(gaps.length, 1, text);
      assert.deepEqual(gaps[0]!.lost, { policy: 1 });
    }, () => stop(proxy));
  });
});
