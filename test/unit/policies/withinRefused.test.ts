// `within` on a path it refuses (an encoded separator, a backslash, NUL, not a string) or with a base it
// cannot read: the check cannot be decided, so a grant holding it does not match and a deny rule holding
// it denies — under `not` and in deny rules, a mere failure used to let exactly those paths through.

import assert from 'node:assert/strict';
import { compile, decide, parsePolicy } from '../../../policies';

function decideWith(yaml: string, tool: string, args: Record<string, unknown>): string {
  const p = parsePolicy(`version: 1\nroles: { r: { description: R. } }\n${yaml}`, 'w.mandate.yaml');
  if (!p.ok) throw new Error(JSON.stringify(p.findings));
  return decide(compile(p.parsed), { principal: 'a', roles: ['r'], tool, args, context: {}, now: Date.UTC(2026, 5, 1) }).effect;
}

const REFUSED = ['/secrets%2fkey', '/secrets%2Fkey', '/secrets\\key', '/secrets\u0000', 42, ['/secrets/key']];

describe('within: refused paths cannot slip through `not` or a deny rule', () => {
  it('a grant `not: { within: [/secrets] }` does not allow a refused path (it did: the refusal made `not` true)', () => {
    const policy = 'scopes: { notsecret: { args: { path: { not: { within: [/secrets] } } } } }\ngrants: [{ agent_role: r, tool: read_file, scope: notsecret }]\n';
    assert.equal(decideWith(policy, 'read_file', { path: '/public/a' }), 'allow');
    assert.equal(decideWith(policy, 'read_file', { path: '/secrets/key' }), 'deny');
    for (const path of REFUSED) assert.equal(decideWith(policy, 'read_file', { path }), 'deny', JSON.stringify(path));
  });

  it('a deny rule `within: [/etc]` denies a refused path, whatever its other operators or keys say', () => {
    const policy = 'grants: [{ agent_role: r, tool: "*" }]\ndeny: [{ tool: write_file, args: { user: { equals: root }, path: { prefix: /, within: [/etc] } }, reason: no etc }]\n';
    assert.equal(decideWith(policy, 'write_file', { path: '/tmp/x', user: 'root' }), 'allow');
    assert.equal(decideWith(policy, 'write_file', { path: '/etc/passwd', user: 'root' }), 'deny');
    for (const path of REFUSED) assert.equal(decideWith(policy, 'write_file', { path, user: 'alice' }), 'deny', JSON.stringify(path));
  });

  it('an invalid pattern is undecidable too: a deny rule holding it denies, a grant holding it does not match', () => {
    const deny = 'grants: [{ agent_role: r, tool: "*" }]\ndeny: [{ tool: t, args: { x: { equals: never, pattern: "(" } }, reason: no }]\n';
    assert.equal(decideWith(deny, 't', { x: 'y' }), 'deny', 'it used to match nothing, so the deny rule never fired');
    assert.equal(decideWith(deny, 't', {}), 'allow', 'an absent argument still satisfies nothing');
    const grant = 'scopes: { s: { args: { x: { not: { pattern: "[" } } } } }\ngrants: [{ agent_role: r, tool: t, scope: s }]\n';
    assert.equal(decideWith(grant, 't', { x: 'y' }), 'deny');
  });

  it('a `not` holding a failed `within` and a pattern the engine cannot run is undecidable, not "not within, so allowed"', () => {
    for (const pattern of ['"("', '"(.)\\\\1"', '"^(?=x)"']) {
      const grant = `scopes: { s: { args: { x: { not: { within: [/docs], pattern: ${pattern} } } } } }\ngrants: [{ agent_role: r, tool: t, scope: s }]\n`;
      assert.equal(decideWith(grant, 't', { x: '/elsewhere' }), 'deny', `${pattern}: it allowed, the failed within deciding before the pattern ran`);
    }
  });

  it('a base it cannot read makes the constraint undecidable instead of being dropped', () => {
    for (const base of ['"C:\\\\Windows"', '"/etc/%2e%2e/etc"', '"../outside"']) {
      const policy = `grants: [{ agent_role: r, tool: "*" }]\ndeny: [{ tool: "*", args: { path: { within: [/data, ${base}] } }, reason: guarded }]\n`;
      assert.equal(decideWith(policy, 'read_file', { path: '/home/x' }), 'deny', base);
    }
  });

  it('a relative path that climbs above its start is undecidable: where it lands depends on the server\'s working folder', () => {
    // `../app/secrets/key`, sent to a server working in /srv/app, is /srv/app/secrets/key: the deny rule on
    // `secrets/` let it through, and so did a grant's `not: { within: [secrets] }`
    const deny = 'grants: [{ agent_role: r, tool: read_file }]\ndeny: [{ tool: read_file, args: { path: { within: [secrets/] } }, reason: no secrets }]\n';
    assert.equal(decideWith(deny, 'read_file', { path: 'docs/a.md' }), 'allow');
    assert.equal(decideWith(deny, 'read_file', { path: 'secrets/key' }), 'deny');
    for (const path of ['../app/secrets/key', '..', 'docs/../../app/secrets/key', './../x']) {
      assert.equal(decideWith(deny, 'read_file', { path }), 'deny', path);
    }
    const notWithin = 'scopes: { s: { args: { path: { not: { within: [secrets] } } } } }\ngrants: [{ agent_role: r, tool: read_file, scope: s }]\n';
    assert.equal(decideWith(notWithin, 'read_file', { path: 'docs/a.md' }), 'allow');
    assert.equal(decideWith(notWithin, 'read_file', { path: '../app/secrets/key' }), 'deny');
    // an absolute path cannot climb above the root (`/..` is `/`), and a `..` that stays inside is decided
    const abs = 'grants: [{ agent_role: r, tool: read_file }]\ndeny: [{ tool: read_file, args: { path: { within: [/etc] } }, reason: no etc }]\n';
    assert.equal(decideWith(abs, 'read_file', { path: '/../srv/x' }), 'allow');
    assert.equal(decideWith(deny, 'read_file', { path: 'docs/sub/../a.md' }), 'allow');
  });

  it('a path that a case-insensitive or Unicode-folding file system reads on the other side of a base is undecidable', () => {
    // macOS and Windows file systems ignore case (`Secrets/key` is `secrets/key`), macOS reads NFD as NFC, Windows
    // drops trailing dots and spaces from names, and servers that normalise text (NFKC) read `／` as `/` and `‥` as
    // `..`: each of these let a call past a deny rule on `secrets/` and through a grant's `not: { within: … }`
    const deny = 'grants: [{ agent_role: r, tool: read_file }]\ndeny: [{ tool: read_file, args: { path: { within: [secrets/, /srv/Café] } }, reason: no secrets }]\n';
    const variants = ['Secrets/key', 'SECRETS/key', 'secrets./key', 'secrets /key', '\uFF53ecrets/key', 'sec\u200Brets/key',
      'docs/\u2025/secrets/key', 'docs\uFF0F..\uFF0Fsecrets/key', '/srv/cafe\u0301/menu', '/SRV/café/menu', '\uFF052e\uFF052e/x'];
    for (const path of variants) assert.equal(decideWith(deny, 'read_file', { path }), 'deny', JSON.stringify(path));
    // names that are merely different stay decided: ordinary calls are not swept up
    for (const path of ['docs/a.md', 'docs/Secrets/key', 'Docs/README.md', 'secretsx/key', 'docs/.../a', '/srv/Cafeteria/x', 'docs/é.md']) {
      assert.equal(decideWith(deny, 'read_file', { path }), 'allow', JSON.stringify(path));
    }
    const notWithin = 'scopes: { s: { args: { path: { not: { within: [secrets] } } } } }\ngrants: [{ agent_role: r, tool: read_file, scope: s }]\n';
    for (const path of ['Secrets/key', 'secrets./key']) assert.equal(decideWith(notWithin, 'read_file', { path }), 'deny', path);
    assert.equal(decideWith(notWithin, 'read_file', { path: 'docs/a.md' }), 'allow');
    // a grant's own folder in the base's exact spelling is still allowed; a variant spelling is not
    const grant = 'scopes: { s: { args: { path: { within: [Docs] } } } }\ngrants: [{ agent_role: r, tool: read_file, scope: s }]\n';
    assert.equal(decideWith(grant, 'read_file', { path: 'Docs/A.md' }), 'allow');
    assert.equal(decideWith(grant, 'read_file', { path: 'docs/a.md' }), 'deny');
    assert.equal(decideWith(grant, 'read_file', { path: 'Docs/\u2025/x' }), 'deny', 'in the base as written, outside it once `‥` is `..`');
  });

  it('a path that starts with a URI scheme or a drive letter is undecidable: `file:///etc/passwd` is not a relative path', () => {
    const deny = 'grants: [{ agent_role: r, tool: read_file }]\ndeny: [{ tool: read_file, args: { path: { within: [/etc] } }, reason: no etc }]\n';
    for (const path of ['file:///etc/passwd', 'FILE:/etc/shadow', 'C:/etc/passwd', 'c:etc/passwd']) {
      assert.equal(decideWith(deny, 'read_file', { path }), 'deny', path);
    }
    // a colon later in a name is only a character
    assert.equal(decideWith(deny, 'read_file', { path: 'notes/12:30.md' }), 'allow');
    assert.equal(decideWith(deny, 'read_file', { path: '/tmp/a:b' }), 'allow');
  });
});
