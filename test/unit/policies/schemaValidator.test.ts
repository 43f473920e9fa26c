// The schema validator is generated ahead of time (scripts/gen-validator.mjs): the committed module must be
// exactly what the schema compiles to now, and it must judge like a validator compiled at run time.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parsePolicy, schemaValidator } from '../../../policies';
import schema from '../../../policies/schema/mandate.schema.json';

const ROOT = join(__dirname, '../../..');

describe('generated schema validator', () => {
  it('is what mandate.schema.json compiles to now (run `npm run build` after editing the schema)', async () => {
    const gen = (await import(join(ROOT, 'scripts/gen-validator.mjs'))) as { validatorSource: () => string; VALIDATOR_FILE: string };
    assert.equal(readFileSync(gen.VALIDATOR_FILE, 'utf8'), gen.validatorSource(), 'policies/schema/validate.generated.cjs is stale');
  });

  it('reports the same errors as a validator ajv compiles at run time, and the findings name definitions', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true, verbose: true });
    addFormats(ajv, ['date-time']);
    const runtime = ajv.compile(schema);
    const bad = [
      { version: 2, roles: { 'bad name!': {} } },
      { version: 1, scopes: { s: { args: { amount: { maximum: 3 } } } } },
      { version: 1, grants: [{ agent_role: 'r' }], invariants: [{ name: 'x' }] },
      { version: 1, grants: [{ agent_role: 'r', tool: 't', expires: 'tomorrow', requires_approval: 'yes' }] },
    ];
    const strip = (errors: unknown): unknown => JSON.parse(JSON.stringify(errors, (k, v: unknown) => (k === 'schema' || k === 'parentSchema' ? undefined : v)));
    for (const value of bad) {
      assert.equal(schemaValidator()(value), runtime(value));
      assert.deepEqual(strip(schemaValidator().errors), strip(runtime.errors), JSON.stringify(value));
    }
    const text = 'version: 1\nscopes:\n  s: { args: { amount: { maximum: 3 } } }\ngrants:\n  - { agent_role: r }\ninvariants:\n  - { name: x }\n';
    const r = parsePolicy(text, 'p.mandate.yaml');
    assert.ok(!r.ok);
    const rules = r.findings.map((f) => f.rule).sort();
    assert.deepEqual(rules, ['schema/never-or-always', 'schema/tool-or-tools', 'schema/unknown-operator']);
  });
});
