// Governance beyond tools/call: tool visibility, resource and prompt grants, server requests.

import assert from 'node:assert/strict';
import { compile, parsePolicy } from '../../../policies';
import { decidePrompt, decideResource, filterListed, serverRequestAllowed, toolVisible, uriProblem } from '../../../extension/proxy/governance';

const text = `version: 1
roles: { reader: { description: r }, ops: { description: o } }
grants:
  - { agent_role: reader, tools: [read_file, "list_*", delete_docs] }
  - { agent_role: reader, tool: old_tool, expires: 2020-01-01T00:00:00Z }
  - { agent_role: reader, tool: guarded, scope: [small] }
scopes: { small: { args: { n: { max: 3 } } } }
deny:
  - { tools: ["delete_*"], reason: no }
  - { tools: [guarded], reason: only big, args: { n: { min: 100 } } }
resources: [{ agent_role: reader, uris: ["docs://*"] }]
prompts: [{ agent_role: reader, prompts: [summarise] }]
server_requests: { allow: [roots/list] }
`;
const r = parsePolicy(text, 'g.mandate.yaml');
if (!r.ok) throw new Error(JSON.stringify(r.findings));
const c = compile(r.parsed);
const NOW = Date.parse('2026-11-25T00:00:00Z');

describe('proxy/governance', () => {
  it('shows granted tools, hides unconditionally denied, expired and ungranted ones', () => {
    const names = ['read_file', 'list_dir', 'delete_docs', 'old_tool', 'guarded', 'write_file'];
    assert.deepEqual(names.filter((n) => toolVisible(c, ['reader'], n, NOW)), ['read_file', 'list_dir', 'guarded']);
    assert.deepEqual(names.filter((n) => toolVisible(c, ['ops'], n, NOW)), []);
  });

  it('denies resource reads and prompts unless granted', () => {
    assert.equal(decideResource(c, 'p', ['reader'], 'docs://readme').effect, 'allow');
    assert.equal(decideResource(c, 'p', ['reader'], 'file:///etc/passwd').effect, 'deny');
    assert.equal(decideResource(c, 'p', ['ops'], 'docs://readme').effect, 'deny');
    assert.equal(decideResource(c, null, ['reader'], 'docs://readme').effect, 'deny');
    assert.equal(decidePrompt(c, 'p', ['reader'], 'summarise').effect, 'allow');
    assert.equal(decidePrompt(c, 'p', ['reader'], 'jailbreak').effect, 'deny');
  });

  it('denies a URI a glob matches as written but a server resolves elsewhere (dot segments, encodings, non-normal forms)', () => {
    const escapes = ['docs://a/../../secret', 'docs://a/%2e%2e/secret', 'docs://a/%2E%2E/secret', 'docs://a/..%2Fsecret', 'docs://a/..%5csecret',
      'docs://a/..\\secret', 'docs://a/./b', 'docs:a/../b', 'DOCS://a', 'docs://a b', 'docs://a/%00', 'not a uri', ''];
    for (const uri of escapes) {
      const d = decideResource(c, 'p', ['reader'], uri);
      assert.equal(d.effect, 'deny', uri);
      assert.match(d.reasons[0]!.message, /normal form|segment|encoded|not an absolute URI/, uri);
    }
    for (const uri of ['docs://readme', 'docs://a/b%20c.md', 'docs://a/b?x=1#f', 'docs://a/.hidden', 'docs://a/b..c']) {
      assert.equal(uriProblem(uri), undefined, uri);
      assert.equal(decideResource(c, 'p', ['reader'], uri).effect, 'allow', uri);
    }
  });

  it('lists only the resources and prompts the caller could read or get', () => {
    const resources = { resources: [{ uri: 'docs://readme', name: 'readme' }, { uri: 'file:///etc/passwd', name: 'passwd' }], nextCursor: 'n' };
    assert.deepEqual(filterListed(c, 'p', ['reader'], 'resources/list', resources), { resources: [{ uri: 'docs://readme', name: 'readme' }], nextCursor: 'n' });
    assert.deepEqual(filterListed(c, 'p', ['ops'], 'resources/list', resources), { resources: [], nextCursor: 'n' });
    const prompts = { prompts: [{ name: 'summarise' }, { name: 'jailbreak' }] };
    assert.deepEqual(filterListed(c, 'p', ['reader'], 'prompts/list', prompts), { prompts: [{ name: 'summarise' }] });
    assert.deepEqual(filterListed(c, 'p', ['reader'], 'tools/list', prompts), prompts);
  });

  it('allows only the listed server requests (defaults without a list)', () => {
    assert.equal(serverRequestAllowed(c.policy, 'roots/list'), true);
    assert.equal(serverRequestAllowed(c.policy, 'elicitation/create'), false);
    assert.equal(serverRequestAllowed({ version: 1 }, 'elicitation/create'), true);
    assert.equal(serverRequestAllowed({ version: 1 }, 'sampling/createMessage'), false);
  });
});
