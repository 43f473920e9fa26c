// parseHttpArgs(): the HTTP proxy takes the approval and audit flags the stdio proxy takes.

import assert from 'node:assert/strict';
import { parseHttpArgs } from '../../../../extension/proxy/http/config';

describe('proxy/http config', () => {
  const base = ['--listen', '127.0.0.1:0', '--policy', 'p.mandate.yaml', '--jwks', 'jwks.json', '--', 'node', 's.mjs'];

  it('takes --runtime-dir (it was refused: "Unknown option") and --no-elicitation', () => {
    const cfg = parseHttpArgs(['--runtime-dir', 'run', '--no-elicitation', ...base], '/work');
    assert.equal(cfg.runtimeDir, '/work/run');
    assert.equal(cfg.noElicitation, true);
    const plain = parseHttpArgs(base, '/work');
    assert.equal(plain.runtimeDir, undefined);
    assert.equal(plain.noElicitation, false);
  });

  it('takes --audit-fsync, as the stdio proxy does (it was refused: "Unknown option")', () => {
    assert.equal(parseHttpArgs(['--audit-fsync', ...base], '/work').auditFsync, true);
    assert.equal(parseHttpArgs(base, '/work').auditFsync, false);
  });
});
