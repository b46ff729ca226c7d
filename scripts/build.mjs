#!/usr/bin/env node
// Compiles assembly/ to build/rng.wasm with AssemblyScript (asconfig.json), then bundles the
// library and its worker entry for Node and for browsers, the CLI and the benchmarks with
// esbuild, and writes the type declarations.
// WGSL files load as text, .wasm files as bytes. The `#gpu-provider` import resolves through
// package.json `imports` conditions, so Dawn never reaches a browser bundle.
//
// What npm publishes (package.json `files`) is built the way it ships: dist/node/ (index.js —
// src/node.ts —, worker.js and cli.js over shared chunks), dist/browser/ (index.js and worker.js
// over shared chunks), dist/cli.js (the `espgpu` command: a stub importing dist/node/cli.js) and
// dist/types/; whitespace-minified, names kept, no source maps. `--dev` builds those unminified
// with source maps. The benchmarks, experiments and web pages (never published, the pages
// self-contained: scripts/buildWeb.mjs) always have maps.
import asc from 'assemblyscript/asc';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './buildWeb.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');
const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text', '.wasm': 'binary' }, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
// Node bundles leave npm dependencies (Dawn, commander, ...) to node_modules.
const node = { ...common, platform: 'node', target: 'node20', packages: 'external' };
// The published bundles: one copy of the library per platform (entries share chunks), npm
// dependencies (comlink, fflate, ...) left to the app's node_modules and bundler in browsers too,
// whitespace-minified with names kept and lines short enough for Node to quote one in an error.
const published = { splitting: true, packages: 'external', sourcemap: dev, ...(dev ? {} : { minifyWhitespace: true, minifySyntax: true, lineLimit: 160 }) };
const browser = { ...common, platform: 'browser', target: 'es2022' };

// The bundles embed rng.wasm's bytes, so it must exist first.
const { error } = await asc.main(['--baseDir', root], { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`[build] AssemblyScript failed: ${error.message}`);
  process.exit(1);
}

// Chunk names change from build to build: start the published folders empty.
for (const folder of ['dist/node', 'dist/browser', 'dist/types']) rmSync(join(root, folder), { recursive: true, force: true });
rmSync(join(root, 'dist', 'cli.js.map'), { force: true });

await Promise.all([
  build({ ...node, ...published, entryPoints: { index: 'src/node.ts', worker: 'src/worker/worker.ts', cli: 'src/cli/main.ts' }, outdir: 'dist/node' }),
  build({ ...browser, ...published, entryPoints: { index: 'src/index.ts', worker: 'src/worker/worker.ts' }, outdir: 'dist/browser' }),
  build({ ...node, entryPoints: ['bench/run.ts'], outfile: 'dist/bench/run.js' }),
  build({ ...node, entryPoints: ['bench/reportMain.ts'], outfile: 'dist/bench/report.js' }),
  build({ ...node, entryPoints: ['bench/browserRun.ts'], outfile: 'dist/bench/browserRun.js' }),
  build({ ...node, entryPoints: ['bench/peers/tfjsStep.ts'], outfile: 'dist/bench/tfjsStep.js' }),
  build({ ...node, entryPoints: ['bench/peers/compare.ts'], outfile: 'dist/bench/peersCompare.js' }),
  build({ ...node, entryPoints: ['bench/queueOverhead.ts'], outfile: 'dist/bench/queueOverhead.js' }),
  build({ ...node, entryPoints: ['experiments/study/main.ts'], outfile: 'dist/experiments/study.js' }),
  build({ ...node, entryPoints: ['experiments/figure1/spiral.ts'], outfile: 'dist/experiments/figure1.js' }),
  build({ ...node, entryPoints: ['experiments/theorem1/imbalance.ts'], outfile: 'dist/experiments/theorem1.js' }),
  build({ ...node, entryPoints: ['experiments/cifarSanity/main.ts'], outfile: 'dist/experiments/cifarSanity.js' }),
  buildWeb(),
]);
// The command keeps its path (package.json `bin`, the tests, the experiments): dist/cli.js.
writeFileSync(join(root, 'dist', 'cli.js'), "#!/usr/bin/env node\n// The espgpu command: dist/node/cli.js, over the chunks it shares with the library.\nimport './node/cli.js';\n");
chmodSync(join(root, 'dist', 'cli.js'), 0o755);
// Type declarations for package users (dist/types, the `types` of package.json's exports).
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
console.log(`[build] dist/ ready${dev ? ' (--dev: unminified, with source maps)' : ''}`);
