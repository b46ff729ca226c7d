#!/usr/bin/env node
// Compiles assembly/ to build/rng.wasm with AssemblyScript (asconfig.json), then bundles the
// library and its worker entry for Node and for browsers, the CLI and the benchmarks with
// esbuild, and writes the type declarations.
// WGSL files load as text, .wasm files as bytes. The `#gpu-provider` import resolves through
// package.json `imports` conditions, so Dawn never reaches a browser bundle.
import asc from 'assemblyscript/asc';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './buildWeb.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text', '.wasm': 'binary' }, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
// Node bundles leave npm dependencies (Dawn, commander, ...) to node_modules.
const node = { ...common, platform: 'node', target: 'node20', packages: 'external' };

// The bundles embed rng.wasm's bytes, so it must exist first.
const { error } = await asc.main(['--baseDir', root], { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`[build] AssemblyScript failed: ${error.message}`);
  process.exit(1);
}

await Promise.all([
  build({ ...node, entryPoints: ['src/index.ts'], outfile: 'dist/node/index.js' }),
  build({ ...common, platform: 'browser', target: 'es2022', entryPoints: ['src/index.ts'], outfile: 'dist/browser/index.js' }),
  build({ ...node, entryPoints: ['src/worker/worker.ts'], outfile: 'dist/node/worker.js' }),
  build({ ...common, platform: 'browser', target: 'es2022', entryPoints: ['src/worker/worker.ts'], outfile: 'dist/browser/worker.js' }),
  build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['bench/run.ts'], outfile: 'dist/bench/run.js' }),
  build({ ...node, entryPoints: ['bench/reportMain.ts'], outfile: 'dist/bench/report.js' }),
  build({ ...node, entryPoints: ['bench/browserRun.ts'], outfile: 'dist/bench/browserRun.js' }),
  build({ ...node, entryPoints: ['bench/peers/tfjsStep.ts'], outfile: 'dist/bench/tfjsStep.js' }),
  build({ ...node, entryPoints: ['bench/peers/compare.ts'], outfile: 'dist/bench/peersCompare.js' }),
  build({ ...node, entryPoints: ['experiments/study/main.ts'], outfile: 'dist/experiments/study.js' }),
  build({ ...node, entryPoints: ['experiments/figure1/spiral.ts'], outfile: 'dist/experiments/figure1.js' }),
  build({ ...node, entryPoints: ['experiments/cifarSanity/main.ts'], outfile: 'dist/experiments/cifarSanity.js' }),
  buildWeb(),
]);
// Type declarations for package users (dist/types, the `types` of package.json's exports).
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
console.log('[build] dist/ ready');
