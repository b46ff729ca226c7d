#!/usr/bin/env node
// Bundles the library for Node and for browsers, the CLI and the benchmarks with esbuild.
// WGSL files load as text. The `#gpu-provider` import resolves through package.json
// `imports` conditions, so Dawn never reaches a browser bundle.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
// Node bundles leave npm dependencies (Dawn, commander, ...) to node_modules.
const node = { ...common, platform: 'node', target: 'node20', packages: 'external' };

await Promise.all([
  build({ ...node, entryPoints: ['src/index.ts'], outfile: 'dist/node/index.js' }),
  build({ ...common, platform: 'browser', target: 'es2022', entryPoints: ['src/index.ts'], outfile: 'dist/browser/index.js' }),
  build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['bench/kernels.ts'], outfile: 'dist/bench/kernels.js' }),
]);
console.log('[build] dist/ ready');
