// The .vsix holds only the allow-listed files (.vscodeignore): dist/{extension,proxy}.js, policies/schema/, policies/examples/,
// package.json, README.md, LICENSE — checked on what `vsce` really packages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/tmp';

const root = join(__dirname, '../../..');
const vsce = join(root, 'node_modules/.bin/vsce');
const ALLOWED = [/^dist\/(extension|proxy)\.js$/, /^policies\/schema\//, /^policies\/examples\//, /^package\.json$/, /^README\.md$/, /^LICENSE$/];

describe('vsix packaging', function () {
  this.timeout(180_000);
  before(function () {
    if (!existsSync(join(root, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  });

  it('lists only allow-listed files, and every shipped entry point', () => {
    const r = spawnSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = r.stdout.trim().split('\n').filter(Boolean);
    const stray = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    assert.deepEqual(stray, [], 'files outside the allow-list');
    for (const f of ['dist/extension.js', 'dist/proxy.js', 'policies/schema/mandate.schema.json', 'package.json', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(f), `missing ${f}`);
    }
    assert.ok(!files.some((f) => f.endsWith('.map') || f === 'dist/cli.js' || f === 'dist/policies.js'), 'no source maps, CLI or bench bundles');
  });

  it('packages a .vsix whose zip holds the same files, under extension/', () => {
    const dir = tempDir('mandate-vsix-');
    try {
      const out = join(dir, 'm.vsix');
      const r = spawnSync(vsce, ['package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr || r.stdout);
      assert.ok(statSync(out).size > 0);
      // the zip's central directory names every entry in plain text
      const zip = readFileSync(out).toString('latin1');
      assert.ok(zip.includes('extension/dist/extension.js') && zip.includes('extension/package.json'));
      assert.ok(!zip.includes('extension/extension/editor/') && !zip.includes('extension/test/') && !zip.includes('node_modules/'), 'no sources, tests or dependencies');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
