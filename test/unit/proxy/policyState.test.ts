// The policy HTTP sessions share: each session's view follows reloads but decides with the tool schemas its
// own server listed (one session's tools/list used to set every session's schemas: the last list won).

import assert from 'node:assert/strict';
import { decide, parsePolicy, type ToolInfo } from '../../../policies';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, PolicyState, watchPolicy, type PolicyEvent } from '../../../extension/proxy/policyState';

const parsed = (text: string) => {
  const p = parsePolicy(text, 'p.mandate.yaml');
  if (!p.ok) throw new Error(JSON.stringify(p.findings));
  return p.parsed;
};
const POLICY = 'version: 1\nroles: { r: { description: R. } }\ngrants: [{ agent_role: r, tool: t }]\n';
const schema = (type: string): ToolInfo[] => [{ name: 't', inputSchema: { type: 'object', properties: { n: { type } }, required: ['n'] } }];
const effect = (s: { current: Parameters<typeof decide>[0] }, n: unknown): string =>
  decide(s.current, { principal: 'p', roles: ['r'], tool: 't', args: { n }, now: Date.UTC(2026, 10, 26) }).effect;

describe('proxy/policy state shared by sessions', () => {
  it('refuses a policy file that is not UTF-8 (at start and on reload), naming where, instead of reading it with bytes replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-utf8-'));
    try {
      const file = join(dir, 'p.mandate.yaml');
      writeFileSync(file, Buffer.concat([Buffer.from('version: 1\nroles: { r: { description: R. } }\ngrants: [{ agent_role: r, tool: t }]\ndeny: [{ tool: t, args: { n: { in: ["caf'), Buffer.from([0xe9]), Buffer.from('"] } }, reason: No. }]\n')]));
      for (const reload of [false, true]) {
        const r = loadPolicyFile(file, 'p.mandate.yaml', reload);
        assert.ok('errors' in r);
        assert.deepEqual(r.errors, ['p.mandate.yaml:4:41: error syntax: the file is not UTF-8 text (byte 0xE9): save it as UTF-8']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decides each session with its own server\'s schemas, and follows reloads in every view', () => {
    const state = new PolicyState(parsed(POLICY), 'v1');
    const a = state.view();
    const b = state.view();
    assert.equal(effect(a, 'x'), 'allow', 'no list yet: no schema to check against');
    a.setTools(schema('number'));
    b.setTools(schema('string'));
    assert.equal(effect(a, 'x'), 'deny', 'a string where session a\'s server wants a number');
    assert.equal(effect(b, 'x'), 'allow', 'session b\'s server takes a string');
    assert.equal(effect(a, 1), 'allow');
    state.replace(parsed(POLICY.replace('tool: t', 'tool: other')), 'v2');
    assert.equal(a.version, 'v2');
    assert.equal(effect(a, 1), 'deny', 'the reload reached the view');
    assert.equal(effect(b, 'x'), 'deny');
  });
});

describe('proxy/policy reload watch', function () {
  this.timeout(30_000);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  /** A policy file in a fresh folder, watched (20 ms quiet); `run` gets it and each event said as `say` says it. */
  async function watching(say: (e: PolicyEvent) => string, run: (file: string, events: string[]) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-watch-'));
    const file = join(dir, 'p.mandate.yaml');
    writeFileSync(file, POLICY);
    const first = loadPolicyFile(file);
    assert.ok(!('errors' in first));
    const events: string[] = [];
    const stop = watchPolicy(file, 'p.mandate.yaml', new PolicyState(first.parsed, first.version), (e) => events.push(say(e)), 20);
    try {
      await run(file, events);
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('reports one refused edit once, though the folder watch and the stat poll both see it; the same edit made again after a good one is reported again', async () => {
    await watching((e) => (e.ok ? 'reloaded' : 'refused'), async (file, events) => {
      const waitFor = async (n: number): Promise<void> => { while (events.length < n) await sleep(20); };
      const bad = `${POLICY}oops: [\n`;
      writeFileSync(file, bad);
      await waitFor(1);
      // the same text seen again — a touch, and the once-a-second stat poll — is no new edit
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      await sleep(2500);
      writeFileSync(file, `${POLICY}# good again\n`);
      await waitFor(2);
      writeFileSync(file, bad);
      await waitFor(3);
      await sleep(1500);
      assert.deepEqual(events, ['refused', 'reloaded', 'refused']);
    });
  });

  it('reports a policy file that went away once, though the folder watch and the stat poll both see it', async () => {
    await watching((e) => (e.ok ? 'reloaded' : `refused: ${e.errors.join('; ')}`), async (file, events) => {
      rmSync(file);
      while (events.length < 1) await sleep(20);
      await sleep(2500); // the stat poll sees it too
      assert.deepEqual(events, ['refused: cannot read policy `p.mandate.yaml`: no such file']);
    });
  });
});
