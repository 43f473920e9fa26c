// listTools (`mandate init -- …`, `simulate --live`) against real stdio fixture servers: pages followed to the end
// and no further, a line read to a bound, a server that cannot start or dies named with its reason.

import assert from 'node:assert/strict';
import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listTools } from '../../../extension/proxy/listTools';
import { tempDir } from '../../support/tmp';

const PAGED = resolve(__dirname, '../../fixtures/servers/paged-tools.mjs');
const list = (pages: string, timeoutMs = 30_000): ReturnType<typeof listTools> => listTools([process.execPath, PAGED], { env: { PAGES: pages }, timeoutMs });

describe('proxy/listTools over stdio', function () {
  this.timeout(60_000);

  it('follows the pages of a list to its end', async () => {
    const { tools } = await list('three');
    assert.deepEqual(tools.map((t) => t.name), ['page_0', 'page_1', 'page_2']);
  });

  it('refuses a list whose pages go round (it asked for them until the timeout, or for ever)', async () => {
    await assert.rejects(list('loop'), /the server's tools\/list pages go round: it sent the cursor `again` twice/);
  });

  it('refuses a list of empty pages that never ends, after 1000 pages', async () => {
    await assert.rejects(list('endless'), /the server's tools\/list did not end within 1000 pages/);
  });

  it('reads a line to 16 MiB: a longer one ends the listing at once, saying so (the SDK read it whole)', async () => {
    const started = Date.now();
    await assert.rejects(list('huge', 50_000), /the server sent a line longer than 16 MiB, the most a listing reads/);
    assert.ok(Date.now() - started < 50_000, 'not by the timeout');
  });

  it('runs the server in `cwd`', async () => {
    const dir = realpathSync(tempDir('mandate-list-cwd-'));
    mkdirSync(join(dir, 'sub'));
    const { tools } = await listTools([process.execPath, PAGED], { env: { PAGES: 'cwd' }, cwd: join(dir, 'sub') });
    assert.deepEqual(tools.map((t) => t.name), ['sub']);
  });

  it('names why a server ended: one that cannot start, one that exits', async () => {
    await assert.rejects(listTools(['/nonexistent/mandate-no-such-server']), /^Error: the server could not start `\/nonexistent\/mandate-no-such-server`: spawn \/nonexistent\/mandate-no-such-server ENOENT$/);
    await assert.rejects(listTools([process.execPath, '-e', 'console.error("boom: no config"); process.exit(3)']), /Connection closed \(the server exited with code 3\); the server's stderr ended: boom: no config/);
  });
});
