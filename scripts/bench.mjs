// npm run bench: builds first (package script), then runs test/bench/run.ts under tsx with the
// V8 flag cedar-wasm needs on Node 20 (it can abort V8 in a hot loop without it).
import { spawnSync } from 'node:child_process';
const r = spawnSync(process.execPath, ['--no-turbo-inline-js-wasm-calls', '--expose-gc', '--import', 'tsx', 'test/bench/run.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
