// Tests the editor's tolerant cursor reading and schema lookup used by completion and hover.
import assert from 'node:assert/strict';
import { propertiesOf, schemaAt, yamlCursor } from '../../../../extension/editor/schemaAt';

const doc = [
  'version: 1',
  'roles:',
  '  reader: { description: x }',
  'grants:',
  '  - agent_role: reader',
  '    tools: [a]',
  '    ',
  '  - agent_role: reader',
  '    scope:',
  '      - ',
  'scopes:',
  '  s:',
  '    args:',
  '      path: { within: [docs/] }',
  '      amount:',
  '        ',
];

describe('editor schemaAt', () => {
  it('reads the path of a key typed inside the first grant', () => {
    assert.deepEqual(yamlCursor(doc, 6, 4).path, ['grants', 0]);
  });
  it('reads the path of a new list item under a key of the second grant', () => {
    assert.deepEqual(yamlCursor(doc, 9, 8).path, ['grants', 1, 'scope', 0]);
  });
  it('reads the path of an argument constraint being written', () => {
    assert.deepEqual(yamlCursor(doc, 15, 8).path, ['scopes', 's', 'args', 'amount']);
  });
  it('reads the key and value position on a key line', () => {
    const c = yamlCursor(doc, 5, 11);
    assert.equal(c.key, 'tools');
    assert.equal(c.valueKey, 'tools');
    assert.equal(c.atKey, false);
    assert.deepEqual(c.path, ['grants', 0]);
  });
  it('offers the grant fields of the schema for a grant item', () => {
    const names = propertiesOf(schemaAt(['grants', 0])).map((p) => p.name);
    assert.ok(names.includes('requires_approval'));
    assert.ok(names.includes('expires'));
    assert.ok(!names.includes('never'));
  });
  it('offers constraint operators for an argument constraint', () => {
    const names = propertiesOf(schemaAt(['scopes', 's', 'args', 'amount'])).map((p) => p.name);
    assert.ok(names.includes('within') && names.includes('max'));
  });
});
