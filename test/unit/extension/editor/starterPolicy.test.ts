// The starter policy is least privilege: reads to a read-only role, destructive tools behind approval, no wildcards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDestructive, starterPolicy } from '../../../../extension/editor/starterPolicy';
import { parsePolicy, type ToolManifest } from '../../../../policies';
import { lintText } from '../../../../policies/lint';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../editor/fixtures/filesystem.tools.json'), 'utf8')) as ToolManifest;

describe('editor starter policy', () => {
  const text = starterPolicy('fs', ['mcp-server-filesystem', '.'], manifest.tools, 'fs.tools.json');
  const r = parsePolicy(text, 'fs.mandate.yaml');

  it('is a schema-valid policy with no lint errors', () => {
    assert.ok(r.ok, JSON.stringify(!r.ok && r.findings));
    const errors = lintText(text, 'fs.mandate.yaml', { tools: manifest }).filter((f) => f.severity === 'error');
    assert.deepEqual(errors, []);
  });
  it('grants every read-only tool to the reader and nothing else', () => {
    assert.ok(r.ok);
    const reader = r.parsed.policy.grants!.filter((g) => g.agent_role === 'fs_reader').flatMap((g) => g.tools ?? []);
    assert.deepEqual(reader, manifest.tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name).sort());
  });
  it('puts destructive tools behind approval', () => {
    assert.ok(r.ok);
    const risky = r.parsed.policy.grants!.find((g) => g.requires_approval)!.tools!;
    assert.ok(risky.includes('write_file') && risky.includes('move_file'));
    assert.ok(!r.parsed.policy.grants!.some((g) => !g.requires_approval && (g.tools ?? []).some((t) => risky.includes(t))));
  });
  it('never uses a wildcard', () => {
    assert.ok(!text.includes('*'));
  });
  it('reads MCP defaults: no annotations means destructive, readOnlyHint wins', () => {
    assert.equal(isDestructive({ name: 'x' }), true);
    assert.equal(isDestructive({ name: 'x', annotations: { readOnlyHint: true, destructiveHint: true } }), false);
    assert.equal(isDestructive({ name: 'x', annotations: { destructiveHint: false } }), false);
  });
});
