// Server env values that name a variable are read from the starting process's environment, never passed as text.

import assert from 'node:assert/strict';
import { resolveEnvRefs } from '../../../policies';

describe('policies/envRefs', () => {
  it('replaces ${NAME}, $NAME and ${env:NAME} with the variable\'s value; keeps other values; leaves out unset ones', () => {
    // as a policy's YAML gives it: `__proto__` is an own key (JSON.parse keeps it so)
    const env = JSON.parse('{"A":"${GITHUB_TOKEN}","B":"$GITHUB_TOKEN","C":"${env:GITHUB_TOKEN}","D":"literal","E":"prefix-${GITHUB_TOKEN}","F":"${UNSET_ONE}","__proto__":"${GITHUB_TOKEN}"}') as Record<string, string>;
    const r = resolveEnvRefs(env, { GITHUB_TOKEN: 'ghp_real' });
    assert.deepEqual(Object.entries(r.env), [['A', 'ghp_real'], ['B', 'ghp_real'], ['C', 'ghp_real'], ['D', 'literal'], ['E', 'prefix-${GITHUB_TOKEN}'], ['__proto__', 'ghp_real']]);
    assert.deepEqual(r.missing, ['F (`${UNSET_ONE}`)']);
    assert.equal(Object.getPrototypeOf(r.env), Object.prototype, 'a key named __proto__ is data, never the prototype');
  });
});
