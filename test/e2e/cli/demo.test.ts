// `npm run demo` is half of the README's quick start: the suite runs it (after the build `npm test` does),
// so a change that breaks it fails CI instead of a new user's first minute.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../support/cli';

describe('e2e: npm run demo', function () {
  this.timeout(180_000);

  it('shows lint, tests, decisions, simulate, a guarded session with allowed, denied and approved calls, audit verify and init — and exits 0', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    for (const seen of [/== 1\. lint the example policies ==/, /DENY: finance_executor → issue_payment/, /APPROVAL REQUIRED/,
      /ALLOWED: /, /DENIED: mandate denied `issue_payment`/, /ALLOWED after approval/, /chain intact/,
      /wrote finance-server\.tools\.json \(4 tools\)/, /demo complete$/m]) assert.match(out, seen);
    assert.doesNotMatch(out, /!! expected exit/);
  });
});
