// Bundles the three entry points with esbuild: the CLI, the proxy, the VS Code extension (and the engine alone).
import { build } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { VALIDATOR_FILE, validatorSource } from './gen-validator.mjs';

// the schema's validator is compiled ahead of time (see gen-validator.mjs); rewritten only when it changed
const validator = validatorSource();
if (!existsSync(VALIDATOR_FILE) || readFileSync(VALIDATOR_FILE, 'utf8') !== validator) writeFileSync(VALIDATOR_FILE, validator);

// jsonc-parser's `main` is a UMD build whose require('./impl/…') esbuild cannot follow (the bundle failed at load:
// "Cannot find module './impl/format'"): its ES module build is bundled instead
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning', legalComments: 'none',
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' } };
const entries = [
  { in: 'extension/cli/main.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'extension/proxy/main.ts', out: 'dist/proxy.js', banner: '#!/usr/bin/env node' },
  { in: 'extension/editor/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
  // the engine alone, for benchmarks that must measure bundled code (tsx's module getters add cost)
  { in: 'policies/index.ts', out: 'dist/policies.js' },
];
await Promise.all(entries.filter((e) => existsSync(e.in)).map((e) => build({
  ...common,
  entryPoints: [e.in],
  outfile: e.out,
  external: e.external ?? [],
  banner: e.banner ? { js: e.banner } : undefined,
})));
