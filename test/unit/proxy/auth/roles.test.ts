// Roles come from the policy's `agents`; a token's roles claim can narrow them, never widen them.

import assert from 'node:assert/strict';
import { resolveRoles } from '../../../../extension/proxy/auth';

const agents = { 'copilot-research': { roles: ['research_reader', 'summarizer'] } };

describe('resolveRoles', () => {
  it('gives an agent the policy\'s roles when the token claims none', () => {
    assert.deepEqual(resolveRoles('copilot-research', undefined, agents), { roles: ['research_reader', 'summarizer'], dropped: [], known: true });
  });
  it('narrows to the claimed roles the policy binds, dropping the rest', () => {
    assert.deepEqual(resolveRoles('copilot-research', ['research_reader', 'finance_executor'], agents), { roles: ['research_reader'], dropped: ['finance_executor'], known: true });
  });
  it('gives a subject the policy does not name no roles, whatever it claims', () => {
    assert.deepEqual(resolveRoles('mallory', ['finance_executor'], agents).roles, []);
    assert.equal(resolveRoles('mallory', undefined, agents).known, false);
    assert.deepEqual(resolveRoles('__proto__', ['x'], agents).roles, []);
    assert.deepEqual(resolveRoles('copilot-research', ['research_reader'], undefined).roles, []);
  });
});
