// The broken-policy corpus (test/fixtures/broken): each defect is caught by `simulate` with the default
// run count and a fixed seed, and its repaired twin passes with no report at all (no false alarms).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compile, decide, parsePolicy, type ParsedPolicy, type ToolManifest } from '../../../../policies';
import { simulate, type SimulationReport } from '../../../../harness';

const DIR = join(__dirname, '../../../fixtures/broken');
/** The corpus is judged at one instant over one quarter, with one seed, so results never drift. */
export const CORPUS_OPTIONS = { seed: 20261125, at: Date.parse('2026-06-01T00:00:00Z'), until: Date.parse('2026-09-01T00:00:00Z') };

function load(file: string): { parsed: ParsedPolicy; tools?: ToolManifest } {
  const path = join(DIR, file);
  const r = parsePolicy(readFileSync(path, 'utf8'), file);
  if (!r.ok) throw new Error(`${file}: ${r.findings.map((f) => f.message).join('; ')}`);
  const manifests = Object.values(r.parsed.policy.servers ?? {}).flatMap((s) => (s.tools_manifest ? [s.tools_manifest] : []));
  const tools = manifests.flatMap((m) => (JSON.parse(readFileSync(join(dirname(path), m), 'utf8')) as ToolManifest).tools);
  return tools.length > 0 ? { parsed: r.parsed, tools: { tools } } : { parsed: r.parsed };
}

async function run(file: string): Promise<SimulationReport> {
  const { parsed, tools } = load(file);
  const report = await simulate(parsed, { ...CORPUS_OPTIONS, ...(tools ? { tools } : {}) });
  // Every reported call, read back from its JSON form as `mandate check` would, gets the reported decision.
  const compiled = compile(parsed, tools ? { tools } : {});
  for (const cx of report.counterexamples) {
    const c = JSON.parse(JSON.stringify(cx.call)) as typeof cx.call;
    const d = decide(compiled, { principal: 'cli', roles: c.roles, tool: c.tool, args: c.args, context: c.context, now: Date.parse(c.at) });
    assert.equal(d.effect, cx.effect, `${file}: \`${cx.name}\` does not reproduce from its reported call`);
  }
  return report;
}

const defects = readdirSync(DIR).filter((f) => f.endsWith('.broken.mandate.yaml')).map((f) => f.replace('.broken.mandate.yaml', '')).sort();

describe('harness/simulate corpus of broken policies', () => {
  it('holds at least twelve kinds of defect, each with a repaired twin', () => {
    assert.ok(defects.length >= 12, `only ${defects.length} defects`);
    for (const d of defects) assert.ok(readdirSync(DIR).includes(`${d}.fixed.mandate.yaml`), `${d} has no repaired twin`);
  });

  for (const defect of defects) {
    it(`catches ${defect} and passes its repair`, async () => {
      const broken = await run(`${defect}.broken.mandate.yaml`);
      const invariants = broken.counterexamples.filter((c) => c.kind === 'invariant');
      assert.ok(invariants.length > 0, `${defect}: no invariant broken (${JSON.stringify(broken.properties.filter((p) => p.kind === 'invariant'))})`);
      for (const cx of invariants) assert.match(cx.command, /^mandate check --policy /);
      const fixed = await run(`${defect}.fixed.mandate.yaml`);
      assert.deepEqual(fixed.counterexamples.map((c) => `${c.name}: ${c.why} ${c.command}`), [], `${defect}: the repaired policy raised alarms`);
      assert.equal(fixed.ok, true);
    });
  }
});
